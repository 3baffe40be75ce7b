import { resolveDatasets, type Datasets } from './datasets.js';
import { statementRunner } from './statement-runner.js';
import type { Warehouse } from './warehouse/warehouse.js';

/**
 * The latest successful incremental run's window end, or undefined before the first. Repair runs
 * do not count: a repair window can end anywhere, even after the last incremental run.
 */
export async function readWatermark(
  warehouse: Warehouse,
  datasets: Partial<Datasets> = {},
): Promise<Date | undefined> {
  const { rows } = await statementRunner(warehouse, resolveDatasets(datasets)).run(
    'runs/watermark.sql',
    {},
    { labels: { step: 'watermark' } },
  );
  const value = rows[0]?.watermark;
  return value instanceof Date ? value : undefined;
}
