/** DuckDB SQL derived from @rims/schemas: the raw table as the lander writes it, validation, the insert. */
import { rawItemEventsColumns } from '@rims/schemas';
import { duckdbColumnType } from '../warehouse/duckdb-types.js';
import { HEADER, PARAM, validatedColumns, validationBodies } from './common.js';

/** `CREATE TABLE` of `rims_raw.item_events` as `rims-merger land` writes it locally. */
export function duckdbRawTableDdl(): string {
  const lines = rawItemEventsColumns().map((column) => `  ${column.name} ${duckdbColumnType(column)}`);
  return [
    HEADER,
    '-- rims_raw.item_events: what the Pub/Sub BigQuery subscription writes, as `rims-merger land` writes it',
    '-- locally. DuckDB has no partitions: min/max zone maps over the publish_time-ordered appends prune instead.',
    'CREATE TABLE IF NOT EXISTS {{raw}}.item_events (',
    lines.join(',\n'),
    ');',
    '',
  ].join('\n');
}

/** `item_event_reject_reason(...)` and `item_status_of(type, status)` as DuckDB macros (untyped: by field name). */
export function duckdbValidationFunctions(): string {
  const { rejectReason, statuses } = validationBodies('duckdb');
  const params = validatedColumns().map((column) => PARAM(column.name));
  return [
    HEADER,
    '-- NULL when @rims/schemas accepts the event, else every issue as `path: message; path: message`.',
    `CREATE OR REPLACE MACRO {{core}}.item_event_reject_reason(\n  ${params.join(',\n  ')}\n) AS (\n${rejectReason}\n);`,
    '',
    '-- The item status an event results in: eventCatalog[type].status, or its data.status (e_status)',
    '-- for a type that takes its status from its data (the snapshot). NULL for a pipeline event.',
    `CREATE OR REPLACE MACRO {{core}}.item_status_of(e_type, e_status) AS (\n  CASE e_type\n${statuses}\n  END\n);`,
    '',
  ].join('\n');
}

/** The lander's insert of a batch (one JSON array parameter `$rows`) into the DuckDB raw table. */
export function duckdbRawInsert(): string {
  const columns = rawItemEventsColumns();
  const select = columns.map((column) => {
    const value = `row->'${column.name}'`;
    switch (column.type) {
      case 'RECORD': {
        const structure = Object.fromEntries(
          (column.fields ?? []).map((field) => [field.name, duckdbColumnType(field)]),
        );
        return `  json_transform(${value}, '${JSON.stringify(structure)}') AS ${column.name}`;
      }
      case 'JSON':
        return `  ${value} AS ${column.name}`;
      case 'STRING':
        return `  row->>'${column.name}' AS ${column.name}`;
      default:
        return `  CAST(row->>'${column.name}' AS ${duckdbColumnType(column)}) AS ${column.name}`;
    }
  });
  return [
    HEADER,
    '-- One batch of landed messages: $rows is a JSON array of raw rows, already converted the way the',
    '-- BigQuery subscription converts them (see packages/merger/src/raw-row.ts).',
    `INSERT INTO {{raw}}.item_events (${columns.map((column) => column.name).join(', ')})`,
    'SELECT',
    select.join(',\n'),
    'FROM (SELECT unnest(CAST($rows AS JSON[])) AS row);',
    '',
  ].join('\n');
}
