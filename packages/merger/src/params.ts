import type { Dialect } from './dialect.js';
import { MergerConfigError } from './errors.js';
import type { QueryParam } from './warehouse/warehouse.js';

/**
 * The parameters a statement references (`@name` in BigQuery, `$name` in DuckDB), picked from
 * `available`: both warehouses refuse unknown parameters, and a missing one is a bug worth naming.
 */
export function paramsFor(
  sql: string,
  dialect: Dialect,
  available: Readonly<Record<string, QueryParam>>,
  statement: string,
): Record<string, QueryParam> {
  // Comments may mention parameters; only the SQL counts.
  const code = sql.replace(/--[^\n]*/g, '');
  const pattern = dialect === 'bigquery' ? /@([a-z_][a-z0-9_]*)/g : /\$([a-z_][a-z0-9_]*)/g;
  const picked: Record<string, QueryParam> = {};
  for (const [, name] of code.matchAll(pattern)) {
    if (name === undefined) continue;
    const param = available[name];
    if (!param) throw new MergerConfigError(`statement ${statement} needs a value for parameter ${name}`);
    picked[name] = param;
  }
  return picked;
}

/** A TIMESTAMP parameter. */
export const timestampParam = (value: Date): QueryParam => ({ type: 'TIMESTAMP', value });
/** A STRING parameter (null allowed). */
export const stringParam = (value: string | null): QueryParam => ({ type: 'STRING', value });
/** An INT64 parameter (null allowed). */
export const intParam = (value: number | null): QueryParam => ({ type: 'INT64', value });
/** An ARRAY<INT64> parameter, such as the State buckets a run touches. */
export const intArrayParam = (value: readonly number[]): QueryParam => ({ type: 'ARRAY<INT64>', value });
