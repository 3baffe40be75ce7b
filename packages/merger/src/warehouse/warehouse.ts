import type { Datasets } from '../datasets.js';
import type { Dialect } from '../dialect.js';
import type { ExistingColumn, MissingColumn } from '../raw-schema.js';

/** The type of a query parameter, named as BigQuery names it. */
export type ParamType = 'STRING' | 'INT64' | 'TIMESTAMP' | 'BOOL' | 'ARRAY<INT64>';

/** A typed query parameter: values always travel as parameters, never inside SQL text. */
export interface QueryParam {
  readonly type: ParamType;
  readonly value: string | number | boolean | Date | readonly number[] | null;
}

/** Options of {@link Warehouse.query}. */
export interface QueryOptions {
  /** Named parameters (`@name` in BigQuery SQL, `$name` in DuckDB SQL). */
  readonly params?: Readonly<Record<string, QueryParam>>;
  /** BigQuery job labels (ignored by DuckDB). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Validate and estimate only (BigQuery dry run); DuckDB refuses dry runs of writes. */
  readonly dryRun?: boolean;
  /** The SQL file the text came from, named in errors and logs. */
  readonly statement?: string;
  /**
   * Stop the statement once it has run this long: BigQuery's `jobTimeoutMs` (the job is
   * cancelled; a DML statement stopped before it commits changes nothing), a DuckDB interrupt. The
   * merge sets it so that no MERGE can still be running, and commit, after the run's lease expired.
   */
  readonly timeoutMs?: number;
}

/** One statement of {@link Warehouse.transaction}: its text, parameters and file. */
export interface TransactionStatement {
  readonly sql: string;
  readonly params?: Readonly<Record<string, QueryParam>>;
  /** The SQL file the text came from, named in errors and logs. */
  readonly statement: string;
}

/** Options of {@link Warehouse.transaction}. */
export interface TransactionOptions {
  /** BigQuery job labels (ignored by DuckDB). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Stop the whole transaction once it has run this long; it then changes nothing. */
  readonly timeoutMs?: number;
}

/** What {@link Warehouse.transaction} did. */
export interface TransactionResult {
  /** Rows each statement inserted, updated or deleted, in order. */
  readonly affectedRows: readonly number[];
  /** BigQuery bytes processed by the whole transaction; null on DuckDB. */
  readonly bytesProcessed: number | null;
}

/** What a statement returned. Timestamps are `Date`s, integers `number`s, JSON text strings. */
export interface QueryResult {
  readonly rows: Record<string, unknown>[];
  /** Rows inserted, updated or deleted by DML. */
  readonly affectedRows: number;
  /** BigQuery bytes processed (estimated for a dry run); null on DuckDB. */
  readonly bytesProcessed: number | null;
}

/**
 * A warehouse the merger runs SQL on: BigQuery in production, a DuckDB file locally.
 *
 * @example
 * const warehouse = await openWarehouse('duckdb:///tmp/rims.duckdb');
 * const { rows } = await warehouse.query('SELECT 1 AS one');
 * await warehouse.close();
 */
export interface Warehouse {
  readonly dialect: Dialect;
  /** Where it is, for logs: `duckdb:///abs/path.duckdb` or `bigquery://project/location`. */
  readonly description: string;
  /** Runs one statement. */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /**
   * Runs DML statements as one transaction, in order: each sees what the earlier ones changed, and
   * either all of them apply or none does (a failure rolls back). A BigQuery multi-statement
   * transaction in one script job; a DuckDB transaction on the warehouse's connection.
   */
  transaction(
    statements: readonly TransactionStatement[],
    options?: TransactionOptions,
  ): Promise<TransactionResult>;
  /** Runs a script of several statements without parameters (DDL). */
  script(sql: string, options?: Pick<QueryOptions, 'labels' | 'statement'>): Promise<void>;
  /** The columns of a table (RECORD fields nested), or undefined when there is no such table. */
  tableColumns(dataset: string, table: string): Promise<ExistingColumn[] | undefined>;
  /** Adds columns and RECORD fields to a table; never changes or drops one. */
  addColumns(dataset: string, table: string, missing: readonly MissingColumn[]): Promise<void>;
  /** Creates the datasets (BigQuery) that do not exist yet; returns the ones it created. */
  ensureDatasets(datasets: Datasets): Promise<string[]>;
  /** Releases the connection (closes the DuckDB file). */
  close(): Promise<void>;
}
