/**
 * Going live with items that predate the outbox: `rims-outbox backfill` (here its library call,
 * `runBackfill`) snapshots every item of the application while live traffic goes on, and the
 * report shows them in the warehouse's state.
 */
import pg from 'pg';
import { runBackfill, type BackfillResult } from '@rims/outbox';
import type { Warehouse } from '@rims/merger';

/**
 * The demo application's backfill query. Its items hold no quantity until first committed; a
 * snapshot states one, so a never-committed item counts as one unit.
 */
export const DEMO_BACKFILL_QUERY = `SELECT id AS item_id, status, order_id, sku, coalesce(quantity, 1) AS quantity, location_id FROM items`;

/** Backfills every item of the demo database, as `rims-outbox backfill --query ...` would. */
export async function backfillItems(databaseUrl: string, signal: AbortSignal): Promise<BackfillResult> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 2,
    application_name: 'rims-outbox backfill',
  });
  try {
    return await runBackfill({ pool, query: DEMO_BACKFILL_QUERY, name: 'demo', signal });
  } finally {
    await pool.end();
  }
}

/** One line: the backfill's figures. */
export function describeBackfill(result: BackfillResult, existing: number): string {
  const seconds = result.elapsedMs / 1000;
  return `backfill: ${String(result.enqueued)} snapshots of ${String(result.total)} items (${String(existing)} of them predating the outbox) in ${seconds.toFixed(1)} s, ${String(Math.round(result.readThisRun / Math.max(seconds, 0.001)))} rows/s, racing the live traffic`;
}

/** How many of the pre-outbox items the warehouse's state holds, by status. */
export async function bootstrappedLine(warehouse: Warehouse, existing: number): Promise<string> {
  const { rows } = await warehouse.query(
    `SELECT status, count(*) AS n FROM rims_core.item_commitment_state WHERE item_id LIKE 'old-%' GROUP BY status ORDER BY status`,
    { statement: 'demo: bootstrapped items' },
  );
  const total = rows.reduce((sum, row) => sum + Number(row.n), 0);
  const byStatus = rows.map((row) => `${String(row.status)} ${String(Number(row.n))}`).join(', ');
  return `bootstrapped: ${String(total)}/${String(existing)} items that predate the outbox are in rims_core.item_commitment_state (${byStatus})`;
}
