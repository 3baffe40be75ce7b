/**
 * SQL derived from the zod catalogue of @rims/schemas, so the warehouse cannot drift from it: the
 * raw table's columns, the Raw -> Core validation (a BigQuery SQL function and a DuckDB macro,
 * because validation has to run inside the warehouse), the status of each event type, and the
 * lander's DuckDB insert. One module per dialect; `pnpm generate` writes their files into
 * sql/bigquery and sql/duckdb, and a test fails when the checked-in files are stale.
 */
import { bigQueryRawTableDdl, bigQueryValidationFunctions } from './bigquery.js';
import { duckdbRawInsert, duckdbRawTableDdl, duckdbValidationFunctions } from './duckdb.js';

/** Every derived SQL file, keyed by its path under the @rims/sql package. */
export function derivedSqlFiles(): Map<string, string> {
  return new Map([
    ['bigquery/ddl/002_raw_item_events.generated.sql', bigQueryRawTableDdl()],
    ['bigquery/ddl/005_item_event_checks.generated.sql', bigQueryValidationFunctions()],
    ['duckdb/ddl/002_raw_item_events.generated.sql', duckdbRawTableDdl()],
    ['duckdb/ddl/005_item_event_checks.generated.sql', duckdbValidationFunctions()],
    ['duckdb/land/insert_raw_item_events.generated.sql', duckdbRawInsert()],
  ]);
}
