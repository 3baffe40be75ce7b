/**
 * SQL derived from the zod catalogue of @rims/schemas, so the warehouse cannot drift from it: the
 * raw table's columns, the Raw -> Core validation (as a BigQuery SQL function and a DuckDB macro,
 * because validation has to run inside the warehouse), the status of each event type, and the
 * lander's DuckDB insert. `pnpm generate` writes these into sql/bigquery and sql/duckdb; a test
 * fails when the checked-in files are stale.
 */
import { z } from 'zod';
import {
  RIMS_EVENT_TYPES,
  envelopeSchemaFor,
  eventCatalog,
  rawItemEventsColumns,
  statusOf,
  type BigQueryColumn,
  type RimsEventType,
} from '@rims/schemas';
import type { Dialect } from './dialect.js';

const HEADER =
  '-- Generated from @rims/schemas by `pnpm generate` (packages/merger/src/derived-sql.ts). Do not edit.';

interface JsonSchemaProperty {
  type?: string;
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

interface ObjectSchema {
  properties: Record<string, JsonSchemaProperty & ObjectSchema>;
  required?: string[];
}

/** A SQL string literal in the dialect. */
export function sqlString(text: string, dialect: Dialect): string {
  return dialect === 'bigquery'
    ? `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
    : `'${text.replace(/'/g, "''")}'`;
}

/** A regular expression literal for REGEXP_CONTAINS (BigQuery) or regexp_full_match (DuckDB); both are RE2. */
function regexLiteral(pattern: string, dialect: Dialect): string {
  if (dialect === 'duckdb') return `'${pattern.replace(/'/g, "''")}'`;
  if (pattern.includes("'")) throw new Error(`pattern ${pattern} contains a quote; extend regexLiteral`);
  return `r'${pattern}'`;
}

/** The column type of a raw column in the dialect's DDL. */
export function columnType(column: BigQueryColumn, dialect: Dialect): string {
  if (column.type === 'RECORD') {
    const fields = (column.fields ?? []).map((field) => `${field.name} ${columnType(field, dialect)}`);
    return dialect === 'bigquery' ? `STRUCT<${fields.join(', ')}>` : `STRUCT(${fields.join(', ')})`;
  }
  if (dialect === 'bigquery') return column.type === 'BOOL' ? 'BOOL' : column.type;
  const duck: Record<Exclude<BigQueryColumn['type'], 'RECORD'>, string> = {
    STRING: 'VARCHAR',
    INT64: 'BIGINT',
    FLOAT64: 'DOUBLE',
    BOOL: 'BOOLEAN',
    TIMESTAMP: 'TIMESTAMPTZ',
    JSON: 'JSON',
  };
  return duck[column.type];
}

/** `CREATE TABLE` of `rims_raw.item_events`: exactly the columns the BigQuery subscription writes. */
export function rawTableDdl(dialect: Dialect): string {
  const columns = rawItemEventsColumns();
  if (dialect === 'bigquery') {
    const lines = columns.map(
      (column) =>
        `  ${column.name} ${columnType(column, dialect)} OPTIONS (description = ${sqlString(column.description, dialect)})`,
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
  const lines = columns.map((column) => `  ${column.name} ${columnType(column, dialect)}`);
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

/** The lander's insert of a batch (one JSON array parameter `$rows`) into the DuckDB raw table. */
export function duckdbRawInsert(): string {
  const columns = rawItemEventsColumns();
  const select = columns.map((column) => {
    const value = `row->'${column.name}'`;
    switch (column.type) {
      case 'RECORD': {
        const structure = Object.fromEntries(
          (column.fields ?? []).map((field) => [field.name, columnType(field, 'duckdb')]),
        );
        return `  json_transform(${value}, '${JSON.stringify(structure)}') AS ${column.name}`;
      }
      case 'JSON':
        return `  ${value} AS ${column.name}`;
      case 'STRING':
        return `  row->>'${column.name}' AS ${column.name}`;
      default:
        return `  CAST(row->>'${column.name}' AS ${columnType(column, 'duckdb')}) AS ${column.name}`;
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

interface Check {
  /** The SQL condition that is true when the value is invalid. */
  readonly when: string;
  /** `path: message` as @rims/schemas would name it. */
  readonly issue: string;
  /** A missing value or a wrong literal: zod then skips the subject/item refinement. */
  readonly aborts: boolean;
}

const PARAM = (name: string) => `e_${name}`;

/** The checks of one JSON-Schema property, for a value expression `value` at `path`. */
function propertyChecks(
  property: JsonSchemaProperty,
  value: string,
  path: string,
  required: boolean,
  dialect: Dialect,
): Check[] {
  const checks: Check[] = [];
  if (required) checks.push({ when: `${value} IS NULL`, issue: `${path}: is required`, aborts: true });
  if (typeof property.const === 'string') {
    const literal = sqlString(property.const, dialect);
    checks.push({
      when: `${value} <> ${literal}`,
      issue: `${path}: must be ${property.const}`,
      aborts: true,
    });
  }
  if (property.type === 'string') {
    if (property.minLength !== undefined) {
      checks.push({
        when: `LENGTH(${value}) < ${String(property.minLength)}`,
        issue:
          property.minLength === 1
            ? `${path}: must not be empty`
            : `${path}: must be at least ${String(property.minLength)} characters`,
        aborts: false,
      });
    }
    if (property.maxLength !== undefined) {
      checks.push({
        when: `LENGTH(${value}) > ${String(property.maxLength)}`,
        issue: `${path}: must be at most ${String(property.maxLength)} characters`,
        aborts: false,
      });
    }
    if (property.pattern !== undefined) {
      const regex = regexLiteral(property.pattern, dialect);
      const matches =
        dialect === 'bigquery' ? `REGEXP_CONTAINS(${value}, ${regex})` : `regexp_matches(${value}, ${regex})`;
      checks.push({
        when: `NOT ${matches}`,
        issue:
          property.format === 'date-time'
            ? `${path}: must be an RFC 3339 date-time with a time zone`
            : `${path}: has an invalid format`,
        aborts: false,
      });
    }
  }
  if (property.type === 'integer') {
    if (property.minimum !== undefined) {
      checks.push({
        when: `${value} < ${String(property.minimum)}`,
        issue: `${path}: must be at least ${String(property.minimum)}`,
        aborts: false,
      });
    }
    if (property.maximum !== undefined) {
      checks.push({
        when: `${value} > ${String(property.maximum)}`,
        issue: `${path}: must be at most ${String(property.maximum)}`,
        aborts: false,
      });
    }
  }
  return checks;
}

/** Every check of the envelope and of each type's data, as @rims/schemas' loose consumer schemas define them. */
function catalogueChecks(dialect: Dialect): Check[] {
  const checks: Check[] = [];
  const [firstType] = RIMS_EVENT_TYPES;
  if (firstType === undefined) throw new Error('the event catalogue is empty');
  const envelope = z.toJSONSchema(envelopeSchemaFor(firstType, 'loose')) as ObjectSchema;
  const required = new Set(envelope.required ?? []);
  for (const [name, property] of Object.entries(envelope.properties)) {
    // `type` is checked before everything else (an unknown type is the only issue reported);
    // `data` depends on the type.
    if (name === 'type' || name === 'data') continue;
    checks.push(...propertyChecks(property, PARAM(name), name, required.has(name), dialect));
    if (property.format === 'date-time') {
      // The one rule the warehouse adds to @rims/schemas: the time must fit a TIMESTAMP.
      const format = propertyChecks(
        { pattern: property.pattern, type: 'string' },
        PARAM(name),
        name,
        false,
        dialect,
      );
      const formatOk = format.map((check) => `NOT (${check.when})`).join(' AND ') || 'TRUE';
      checks.push({
        when: `${PARAM(name)} IS NOT NULL AND ${formatOk} AND NOT COALESCE({{core}}.item_event_time(${PARAM(name)}) BETWEEN TIMESTAMP '0001-01-01 00:00:00+00' AND TIMESTAMP '9999-12-31 23:59:59.999999+00', FALSE)`,
        issue: `${name}: must be between 0001-01-01 and 9999-12-31 UTC`,
        aborts: false,
      });
    }
  }
  checks.push({ when: `${PARAM('data')} IS NULL`, issue: 'data: is required', aborts: true });
  for (const type of RIMS_EVENT_TYPES) {
    const data = z.toJSONSchema(eventCatalog[type].loose) as ObjectSchema;
    const dataRequired = new Set(data.required ?? []);
    for (const [name, property] of Object.entries(data.properties)) {
      for (const check of propertyChecks(
        property,
        `${PARAM('data')}.${name}`,
        `data.${name}`,
        dataRequired.has(name),
        dialect,
      )) {
        checks.push({
          ...check,
          when: `${PARAM('type')} = ${sqlString(type, dialect)} AND ${PARAM('data')} IS NOT NULL AND ${check.when}`,
        });
      }
    }
  }
  return checks;
}

function issueList(checks: readonly Check[], dialect: Dialect): string {
  const parts = checks.map(
    (check) => `      CASE WHEN ${check.when} THEN ${sqlString(`${check.issue}; `, dialect)} ELSE '' END`,
  );
  return `CONCAT(\n${parts.join(',\n')}\n    )`;
}

/** The parameters of the validation function, in raw column order. */
function validationParams(dialect: Dialect): string[] {
  const columns = rawItemEventsColumns().filter((column) =>
    [
      'specversion',
      'id',
      'source',
      'type',
      'subject',
      'time',
      'sequence',
      'datacontenttype',
      'data',
      'traceparent',
    ].includes(column.name),
  );
  return columns.map((column) => {
    if (dialect === 'duckdb') return PARAM(column.name);
    // `data` is taken as ANY TYPE, so `e_data.quantity` is resolved by field name at each call. A
    // declared STRUCT would match the raw column by position, and provision appends the fields a
    // release adds at the end of the RECORD: after an upgrade the call would fail, or, with two
    // fields of one type trading places, pass with each value in the other's field.
    if (column.type === 'RECORD') return `${PARAM(column.name)} ANY TYPE`;
    return `${PARAM(column.name)} ${columnType(column, dialect)}`;
  });
}

/**
 * `item_event_reject_reason(...)`: NULL for an event @rims/schemas accepts, else its issues as
 * `path: message; path: message`. `item_status_of(type)`: the item status each event type results in.
 */
export function validationFunctions(dialect: Dialect): string {
  const checks = catalogueChecks(dialect);
  const known = RIMS_EVENT_TYPES.map((type) => sqlString(type, dialect)).join(', ');
  const all = issueList(checks, dialect);
  const aborting = checks.filter((check) => check.aborts);
  const abortingList = issueList(aborting, dialect);
  const mismatch = `${PARAM('subject')} <> ${PARAM('data')}.item_id`;
  const trim = (text: string) =>
    dialect === 'bigquery' ? `NULLIF(RTRIM(${text}, '; '), '')` : `NULLIF(rtrim(${text}, '; '), '')`;
  const body = [
    '  CASE',
    `    WHEN ${PARAM('type')} IS NULL THEN 'type: is required'`,
    `    WHEN ${PARAM('type')} NOT IN (${known})`,
    `      THEN CONCAT('type: ', ${PARAM('type')}, ${sqlString(` is not a known RIMS event type (known types: ${RIMS_EVENT_TYPES.join(', ')})`, dialect)})`,
    '    ELSE',
    trim(
      `CONCAT(\n    ${all},\n    -- zod checks subject = data.item_id only when no field is missing or a wrong literal.\n    CASE WHEN ${abortingList} = '' AND ${mismatch} THEN ${sqlString('subject: must equal data.item_id; ', dialect)} ELSE '' END\n    )`,
    ),
    '  END',
  ].join('\n');
  const statuses = RIMS_EVENT_TYPES.map(
    (type: RimsEventType) =>
      `    WHEN ${sqlString(type, dialect)} THEN ${sqlString(statusOf(type), dialect)}`,
  ).join('\n');
  const params = validationParams(dialect).join(',\n  ');
  if (dialect === 'bigquery') {
    return [
      HEADER,
      '-- NULL when @rims/schemas accepts the event, else every issue as `path: message; path: message`.',
      `CREATE OR REPLACE FUNCTION {{core}}.item_event_reject_reason(\n  ${params}\n) RETURNS STRING AS (\n${body}\n);`,
      '',
      '-- The item status an event type results in (eventCatalog[type].status).',
      `CREATE OR REPLACE FUNCTION {{core}}.item_status_of(e_type STRING) RETURNS STRING AS (\n  CASE e_type\n${statuses}\n  END\n);`,
      '',
    ].join('\n');
  }
  return [
    HEADER,
    '-- NULL when @rims/schemas accepts the event, else every issue as `path: message; path: message`.',
    `CREATE OR REPLACE MACRO {{core}}.item_event_reject_reason(\n  ${params}\n) AS (\n${body}\n);`,
    '',
    '-- The item status an event type results in (eventCatalog[type].status).',
    `CREATE OR REPLACE MACRO {{core}}.item_status_of(e_type) AS (\n  CASE e_type\n${statuses}\n  END\n);`,
    '',
  ].join('\n');
}

/** Every derived SQL file, keyed by its path under the @rims/sql package. */
export function derivedSqlFiles(): Map<string, string> {
  return new Map([
    ['bigquery/ddl/002_raw_item_events.generated.sql', rawTableDdl('bigquery')],
    ['bigquery/ddl/005_item_event_checks.generated.sql', validationFunctions('bigquery')],
    ['duckdb/ddl/002_raw_item_events.generated.sql', rawTableDdl('duckdb')],
    ['duckdb/ddl/005_item_event_checks.generated.sql', validationFunctions('duckdb')],
    ['duckdb/land/insert_raw_item_events.generated.sql', duckdbRawInsert()],
  ]);
}
