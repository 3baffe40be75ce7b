/**
 * Snapshots on a real DuckDB file: a snapshot is applied as the item's state at its sequence
 * (State, history, live view), and drift detection writes one discrepancy per snapshot that
 * differs from the derived state at version n - 1, idempotently and whatever the landing order.
 */
import { describe, expect, it } from 'vitest';
import { printAudit } from '../src/cli/print.js';
import { runAudit, runMerge, type Warehouse } from '../src/index.js';
import { itemEvent, landRaw, plusMinutes, select, useDuckDbWarehouse } from './helpers.js';

const BASE = new Date('2026-01-01T00:00:00.000Z');

const committed = (item: string, sequence: number) =>
  itemEvent('rims.item.committed.v1', item, sequence, {
    order_id: `order-${item}`,
    sku: `SKU-${item}`,
    quantity: 2,
    location_id: 'store-1',
  });
const snapshot = (item: string, sequence: number, data: Record<string, unknown>) =>
  itemEvent('rims.item.snapshot.v1', item, sequence, {
    order_id: `order-${item}`,
    sku: `SKU-${item}`,
    quantity: 2,
    location_id: 'store-1',
    ...data,
  });
/** A snapshot of an available item, as the application holds it: no order, no location. */
const available = (item: string, sequence: number) =>
  itemEvent('rims.item.snapshot.v1', item, sequence, {
    status: 'available',
    order_id: undefined,
    location_id: undefined,
    sku: `SKU-${item}`,
    quantity: 2,
  });

async function land(warehouse: Warehouse, at: Date, ...bodies: unknown[]) {
  await landRaw(
    warehouse,
    bodies.map((body) => ({ body, publishTime: at })),
  );
}

async function discrepancies(warehouse: Warehouse, prefix: string) {
  return select(
    warehouse,
    `SELECT item_id, sequence, event_id, snapshot_status, snapshot_order_id, snapshot_sku, snapshot_quantity,
            snapshot_location_id, derived_event_id, derived_status, derived_order_id, derived_sku,
            derived_quantity, derived_location_id
     FROM rims_core.item_state_discrepancies WHERE item_id LIKE '${prefix}-%' ORDER BY item_id, sequence`,
  );
}

describe('snapshots on DuckDB', () => {
  const local = useDuckDbWarehouse();

  it('applies a snapshot as the item state and finds the one that differs from the state before it', async () => {
    const { warehouse } = local;
    // drift: committed, then the application says available (an UPDATE written around the outbox).
    const drift1 = committed('s-drift', 1);
    const drift2 = available('s-drift', 2);
    // same: the snapshot states what the events gave.
    const same1 = committed('s-same', 1);
    const same2 = snapshot('s-same', 2, { status: 'committed' });
    // released: an available snapshot without order after a release (which names its order).
    const released1 = committed('s-released', 1);
    const released2 = itemEvent('rims.item.released.v1', 's-released', 2);
    const released3 = available('s-released', 3);
    // quantity: committed 2, the application holds 5.
    const quantity1 = committed('s-quantity', 1);
    const quantity2 = snapshot('s-quantity', 2, { status: 'committed', quantity: 5 });
    // boot: an item older than the outbox, first seen through its snapshot: nothing to compare.
    const boot1 = snapshot('s-boot', 1, { status: 'committed' });
    const fulfilled1 = snapshot('s-fulfilled', 1, { status: 'fulfilled', location_id: undefined });
    const run1 = plusMinutes(BASE, 60);
    await land(
      warehouse,
      plusMinutes(run1, -1),
      ...[drift1, drift2, same1, same2, released1, released2, released3, quantity1, quantity2],
      ...[boot1, fulfilled1],
    );
    const report = await runMerge(warehouse, { now: run1 });
    expect(report.chunks[0]?.discrepanciesFound).toBe(2);

    const state = await select(
      warehouse,
      `SELECT item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version
       FROM rims_core.item_commitment_state WHERE item_id LIKE 's-%' ORDER BY item_id`,
    );
    expect(state).toEqual([
      {
        item_id: 's-boot',
        status: 'committed',
        order_id: 'order-s-boot',
        sku: 'SKU-s-boot',
        quantity: 2,
        location_id: 'store-1',
        is_potentially_committed: true,
        version: 1,
      },
      // Not committed: State holds no sku, quantity or location, as after any other event.
      ...[
        ['s-drift', 'available', null, 2],
        ['s-fulfilled', 'fulfilled', 'order-s-fulfilled', 1],
      ].map(([item_id, status, order_id, version]) => ({
        item_id,
        status,
        order_id,
        sku: null,
        quantity: null,
        location_id: null,
        is_potentially_committed: false,
        version,
      })),
      expect.objectContaining({ item_id: 's-quantity', status: 'committed', quantity: 5, version: 2 }),
      expect.objectContaining({ item_id: 's-released', status: 'available', order_id: null, version: 3 }),
      expect.objectContaining({ item_id: 's-same', status: 'committed', quantity: 2, version: 2 }),
    ]);
    const history = await select(
      warehouse,
      `SELECT item_id, version, status, is_current FROM rims_core.item_commitment_history
       WHERE item_id IN ('s-drift', 's-boot') ORDER BY ALL`,
    );
    expect(history).toEqual([
      { item_id: 's-boot', version: 1, status: 'committed', is_current: true },
      { item_id: 's-drift', version: 1, status: 'committed', is_current: false },
      { item_id: 's-drift', version: 2, status: 'available', is_current: true },
    ]);

    expect(await discrepancies(warehouse, 's')).toEqual([
      {
        item_id: 's-drift',
        sequence: 2,
        event_id: drift2.id,
        snapshot_status: 'available',
        snapshot_order_id: null,
        snapshot_sku: null,
        snapshot_quantity: null,
        snapshot_location_id: null,
        derived_event_id: drift1.id,
        derived_status: 'committed',
        derived_order_id: 'order-s-drift',
        derived_sku: 'SKU-s-drift',
        derived_quantity: 2,
        derived_location_id: 'store-1',
      },
      expect.objectContaining({
        item_id: 's-quantity',
        sequence: 2,
        event_id: quantity2.id,
        snapshot_quantity: 5,
        derived_quantity: 2,
      }),
    ]);

    // A rerun over the same window and a duplicate copy of the snapshot write no second row.
    const run2 = plusMinutes(run1, 30);
    await land(warehouse, plusMinutes(run2, -1), drift2, quantity2);
    const rerun = await runMerge(warehouse, { now: run2 });
    expect(rerun.chunks[0]?.discrepanciesFound).toBe(0);
    expect(await discrepancies(warehouse, 's')).toHaveLength(2);

    const audit = await runAudit(warehouse, { from: BASE, to: run2, now: run2 });
    expect(audit.clean).toBe(false);
    expect(audit.discrepancyCount).toBe(2);
    expect(audit.discrepancies.map((found) => [found.itemId, found.sequence])).toEqual([
      ['s-drift', 2],
      ['s-quantity', 2],
    ]);
    expect(audit.discrepancies[0]?.snapshot.status).toBe('available');
    expect(audit.discrepancies[0]?.derived).toEqual({
      status: 'committed',
      orderId: 'order-s-drift',
      sku: 'SKU-s-drift',
      quantity: 2,
      locationId: 'store-1',
    });
    expect(audit.subjects, 'drift is no Raw/Core/State disagreement').toEqual([]);
    // `rims-merger audit` prints each one and exits 1 (it is not clean).
    const printed: string[] = [];
    printAudit((line) => printed.push(line), audit);
    expect(printed).toContain(
      `discrepancy: item s-drift sequence 2 (event ${drift2.id}): snapshot [available - - - -], derived [committed order-s-drift SKU-s-drift 2 store-1] (status order sku quantity location)`,
    );
    expect(printed.at(-1)).toBe('findings: see above');
    const sample = await runAudit(warehouse, { from: BASE, to: run2, now: run2, limit: 1 });
    expect([sample.discrepancies.length, sample.discrepancyCount]).toEqual([1, 2]);
  });

  it('finds the drift exactly once when event n - 1 lands after the snapshot', async () => {
    const { warehouse } = local;
    const late1 = committed('late-a', 1);
    const late2 = {
      ...committed('late-a', 2),
      data: { ...committed('late-a', 2).data, order_id: 'order-2' },
    };
    const late3 = available('late-a', 3);
    // Run A: sequence 1. Run B: the snapshot at 3, with 2 missing (a gap: the audit's finding, no
    // discrepancy). Run C: 2 lands and completes the pair. No lookback: run C's window does not
    // hold the snapshot, only the late event of its item.
    const runA = plusMinutes(BASE, 24 * 60);
    await land(warehouse, plusMinutes(runA, -1), late1);
    await runMerge(warehouse, { now: runA, lookbackMs: 0 });
    const runB = plusMinutes(runA, 30);
    await land(warehouse, plusMinutes(runB, -1), late3);
    await runMerge(warehouse, { now: runB, lookbackMs: 0 });
    expect(await discrepancies(warehouse, 'late')).toEqual([]);
    const gapAudit = await runAudit(warehouse, { from: runA, to: runB, now: runB });
    expect(gapAudit.gaps).toEqual([{ subject: 'late-a', missingFrom: 2, missingTo: 2 }]);
    expect(gapAudit.discrepancies.filter((found) => found.itemId.startsWith('late'))).toEqual([]);

    const runC = plusMinutes(runB, 30);
    await land(warehouse, plusMinutes(runC, -1), late2);
    const merged = await runMerge(warehouse, { now: runC, lookbackMs: 0 });
    expect(merged.chunks[0]?.discrepanciesFound).toBe(1);
    const runD = plusMinutes(runC, 30);
    await land(warehouse, plusMinutes(runD, -1), late2, late3);
    await runMerge(warehouse, { now: runD, lookbackMs: 0 });
    expect(await discrepancies(warehouse, 'late')).toEqual([
      expect.objectContaining({
        item_id: 'late-a',
        sequence: 3,
        event_id: late3.id,
        derived_event_id: late2.id,
        snapshot_status: 'available',
        derived_status: 'committed',
        derived_order_id: 'order-2',
      }),
    ]);
    // State is at the snapshot, whatever the order the events landed in.
    const [state] = await select(
      warehouse,
      `SELECT status, version FROM rims_core.item_commitment_state WHERE item_id = 'late-a'`,
    );
    expect(state).toEqual({ status: 'available', version: 3 });
  });

  it('shows a snapshot in the live view before the next merge', async () => {
    const { warehouse } = local;
    const runE = plusMinutes(BASE, 3 * 24 * 60);
    await land(warehouse, plusMinutes(runE, -1), committed('live-a', 1));
    await runMerge(warehouse, { now: runE });
    // The view reads the raw rows of the last hours of the real clock.
    await land(warehouse, new Date(), available('live-a', 2));
    const [live] = await select(
      warehouse,
      `SELECT status, sku, version, is_potentially_committed FROM rims_analytics.item_commitment_live
       WHERE item_id = 'live-a'`,
    );
    expect(live).toEqual({ status: 'available', sku: null, version: 2, is_potentially_committed: false });
  });
});
