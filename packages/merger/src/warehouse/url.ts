import { isAbsolute, resolve } from 'node:path';
import { MergerConfigError } from '../errors.js';

/** A parsed `WAREHOUSE_URL`. */
export type WarehouseLocation =
  | { readonly kind: 'duckdb'; readonly path: string }
  | { readonly kind: 'bigquery'; readonly projectId: string; readonly location: string };

/** Where the local warehouse lives when `WAREHOUSE_URL` is not set: `.data/warehouse.duckdb` under `cwd`. */
export function defaultWarehouseUrl(cwd: string = process.cwd()): string {
  return `duckdb://${resolve(cwd, '.data', 'warehouse.duckdb')}`;
}

const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const LOCATION = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * Parses `duckdb:///abs/path.duckdb` or `bigquery://PROJECT/LOCATION`.
 *
 * @throws {MergerConfigError} naming what is wrong and the accepted forms
 * @example parseWarehouseUrl('bigquery://acme-prod/EU') // { kind: 'bigquery', projectId: 'acme-prod', location: 'EU' }
 */
export function parseWarehouseUrl(url: string): WarehouseLocation {
  const forms =
    'use duckdb:///absolute/path.duckdb or bigquery://PROJECT/LOCATION (for example bigquery://acme-prod/EU)';
  if (url.startsWith('duckdb://')) {
    const path = decodeURIComponent(url.slice('duckdb://'.length));
    if (!isAbsolute(path))
      throw new MergerConfigError(`WAREHOUSE_URL '${url}' needs an absolute path; ${forms}`);
    if (path.endsWith('/'))
      throw new MergerConfigError(`WAREHOUSE_URL '${url}' names a directory, not a file; ${forms}`);
    return { kind: 'duckdb', path };
  }
  if (url.startsWith('bigquery://')) {
    const [projectId = '', location = '', ...rest] = url.slice('bigquery://'.length).split('/');
    if (!PROJECT.test(projectId))
      throw new MergerConfigError(
        `WAREHOUSE_URL '${url}': '${projectId}' is not a Google Cloud project id; ${forms}`,
      );
    if (!LOCATION.test(location) || rest.length > 0)
      throw new MergerConfigError(
        `WAREHOUSE_URL '${url}': '${location}' is not a BigQuery location such as US, EU or europe-west1; ${forms}`,
      );
    return { kind: 'bigquery', projectId, location };
  }
  throw new MergerConfigError(`WAREHOUSE_URL '${url}' is not a warehouse URL; ${forms}`);
}
