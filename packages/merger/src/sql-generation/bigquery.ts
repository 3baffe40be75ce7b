/** BigQuery SQL derived from @rims/schemas: the raw table the subscription writes, and validation. */
import { rawItemEventsColumns, type BigQueryColumn } from '@rims/schemas';
import { HEADER, PARAM, sqlString, validatedColumns, validationBodies } from './common.js';

/** The BigQuery type of a raw column (a RECORD is a STRUCT of its fields). */
export function bigQueryColumnType(column: BigQueryColumn): string {
  if (column.type !== 'RECORD') return column.type;
  const fields = (column.fields ?? []).map((field) => `${field.name} ${bigQueryColumnType(field)}`);
  return `STRUCT<${fields.join(', ')}>`;
}

/** `CREATE TABLE` of `rims_raw.item_events`: exactly the columns the BigQuery subscription writes. */
export function bigQueryRawTableDdl(): string {
  const lines = rawItemEventsColumns().map(
    (column) =>
      `  ${column.name} ${bigQueryColumnType(column)} OPTIONS (description = ${sqlString(column.description, 'bigquery')})`,
  );
  return [
    HEADER,
    '-- rims_raw.item_events: what the Pub/Sub BigQuery subscription (use_table_schema, write_metadata,',
    '-- drop_unknown_fields) writes. See sql/bigquery/README.md for the column mapping and its sources.',
    'CREATE TABLE IF NOT EXISTS {{raw}}.item_events (',
    lines.join(',\n'),
    ')',
    'PARTITION BY TIMESTAMP_TRUNC(publish_time, {{option:raw_partition}})',
    'CLUSTER BY subject, type',
    'OPTIONS (',
    '  partition_expiration_days = {{option:raw_partition_expiration_days}},',
    '  require_partition_filter = TRUE,',
    "  description = 'RIMS item events as landed by the Pub/Sub BigQuery subscription (at least once: duplicates possible)'",
    ');',
    '',
    '-- Re-applied on every provision, so changed settings reach an existing table.',
    'ALTER TABLE {{raw}}.item_events SET OPTIONS (',
    '  partition_expiration_days = {{option:raw_partition_expiration_days}},',
    '  require_partition_filter = TRUE',
    ');',
    '',
  ].join('\n');
}

/** `item_event_reject_reason(...)` and `item_status_of(type, status)` as BigQuery SQL functions. */
export function bigQueryValidationFunctions(): string {
  const { rejectReason, statuses } = validationBodies('bigquery');
  const params = validatedColumns().map((column) =>
    // `data` is taken as ANY TYPE, so `e_data.quantity` is resolved by field name at each call. A
    // declared STRUCT would match the raw column by position, and provision appends the fields a
    // release adds at the end of the RECORD: after an upgrade the call would fail, or, with two
    // fields of one type trading places, pass with each value in the other's field.
    column.type === 'RECORD'
      ? `${PARAM(column.name)} ANY TYPE`
      : `${PARAM(column.name)} ${bigQueryColumnType(column)}`,
  );
  return [
    HEADER,
    '-- NULL when @rims/schemas accepts the event, else every issue as `path: message; path: message`.',
    `CREATE OR REPLACE FUNCTION {{core}}.item_event_reject_reason(\n  ${params.join(',\n  ')}\n) RETURNS STRING AS (\n${rejectReason}\n);`,
    '',
    '-- The item status an event results in: eventCatalog[type].status, or its data.status (e_status)',
    '-- for a type that takes its status from its data (the snapshot). NULL for a pipeline event.',
    `CREATE OR REPLACE FUNCTION {{core}}.item_status_of(e_type STRING, e_status STRING) RETURNS STRING AS (\n  CASE e_type\n${statuses}\n  END\n);`,
    '',
  ].join('\n');
}
