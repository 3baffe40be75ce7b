import type { BigQueryColumn } from '@rims/schemas';

const SCALARS: Record<Exclude<BigQueryColumn['type'], 'RECORD'>, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  BOOL: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
};

/**
 * The DuckDB type holding what a BigQuery column holds (a RECORD is a STRUCT of its fields).
 *
 * @example duckdbColumnType({ name: 'quantity', type: 'INT64', mode: 'NULLABLE', description: '' }) // 'BIGINT'
 */
export function duckdbColumnType(column: BigQueryColumn): string {
  if (column.type !== 'RECORD') return SCALARS[column.type];
  const fields = (column.fields ?? []).map((field) => `${field.name} ${duckdbColumnType(field)}`);
  return `STRUCT(${fields.join(', ')})`;
}
