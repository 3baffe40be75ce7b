import { openBigQueryWarehouse, type BigQueryWarehouseOptions } from './bigquery.js';
import { openDuckDbWarehouse } from './duckdb.js';
import { parseWarehouseUrl } from './url.js';
import type { Warehouse } from './warehouse.js';

/**
 * Opens the warehouse a `WAREHOUSE_URL` names: `duckdb:///abs/path.duckdb` or
 * `bigquery://PROJECT/LOCATION`. A DuckDB file is created when missing, unless `existing` is set
 * (then a missing file is a `MergerConfigError` naming `rims-merger provision`).
 *
 * @example
 * const warehouse = await openWarehouse(process.env.WAREHOUSE_URL ?? defaultWarehouseUrl());
 */
export async function openWarehouse(
  url: string,
  options: { bigquery?: Omit<BigQueryWarehouseOptions, 'projectId' | 'location'>; existing?: boolean } = {},
): Promise<Warehouse> {
  const location = parseWarehouseUrl(url);
  if (location.kind === 'duckdb') return openDuckDbWarehouse(location.path, { existing: options.existing });
  return openBigQueryWarehouse({
    ...options.bigquery,
    projectId: location.projectId,
    location: location.location,
  });
}
