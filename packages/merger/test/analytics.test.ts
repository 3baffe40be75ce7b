/**
 * The history-based marts on a real DuckDB file: late events split intervals, a gap leaves the
 * earlier interval open, item_commitment_as_of, committed_quantity_by_location_sku, daily_committed,
 * the README's example reports, and the live view over raw rows landed since the last merge.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASETS, runMerge, statementRunner } from '../src/index.js';
import { heartbeatEvent, itemEvent, landRaw, plusMinutes, select, useDuckDbWarehouse } from './helpers.js';

const at = (iso: string) => new Date(iso);
const ts = (value: Date) => ({ type: 'TIMESTAMP' as const, value });

describe('history marts on DuckDB', () => {
  const local = useDuckDbWarehouse();

  it('splits intervals on a late event, keeps a gap open, and answers as-of, daily and report queries', async () => {
    const { warehouse } = local;
    const committed = (item: string, sequence: number, time: string, location: string, quantity: number) => ({
      ...itemEvent('rims.item.committed.v1', item, sequence, {
        location_id: location,
        sku: 'SKU-1',
        quantity,
      }),
      time,
    });
    const released = (item: string, sequence: number, time: string) => ({
      ...itemEvent('rims.item.released.v1', item, sequence),
      time,
    });
    // a: committed 1 Mar, released 3 Mar, committed again 5 Mar (sequence 2 lands late).
    // b: committed 2 Mar, sequence 2 never lands, sequence 3 released 4 Mar (a gap).
    const a1 = committed('a', 1, '2026-03-01T10:00:00.000Z', 'store-1', 2);
    const a2 = released('a', 2, '2026-03-03T10:00:00.000Z');
    const a3 = committed('a', 3, '2026-03-05T10:00:00.000Z', 'store-2', 3);
    const b1 = committed('b', 1, '2026-03-02T10:00:00.000Z', 'store-1', 5);
    const b3 = released('b', 3, '2026-03-04T10:00:00.000Z');
    const run1 = at('2026-03-06T00:00:00Z');
    await landRaw(
      warehouse,
      [a1, a3, b1, b3].map((body) => ({ body, publishTime: plusMinutes(run1, -1) })),
    );
    await runMerge(warehouse, { now: run1 });
    const history = () =>
      select(
        warehouse,
        `SELECT item_id, version, status, valid_from, valid_to, is_current FROM rims_core.item_commitment_history ORDER BY ALL`,
      );
    expect((await history()).filter((row) => row.item_id === 'a')).toEqual([
      {
        item_id: 'a',
        version: 1,
        status: 'committed',
        valid_from: at(a1.time),
        valid_to: null,
        is_current: false,
      },
      {
        item_id: 'a',
        version: 3,
        status: 'committed',
        valid_from: at(a3.time),
        valid_to: null,
        is_current: true,
      },
    ]);
    // The late sequence 2 closes sequence 1 at its time and is itself closed by sequence 3.
    const run2 = plusMinutes(run1, 60);
    await landRaw(warehouse, [{ body: a2, publishTime: plusMinutes(run2, -1) }]);
    await runMerge(warehouse, { now: run2 });
    expect(await history()).toEqual([
      {
        item_id: 'a',
        version: 1,
        status: 'committed',
        valid_from: at(a1.time),
        valid_to: at(a2.time),
        is_current: false,
      },
      {
        item_id: 'a',
        version: 2,
        status: 'available',
        valid_from: at(a2.time),
        valid_to: at(a3.time),
        is_current: false,
      },
      {
        item_id: 'a',
        version: 3,
        status: 'committed',
        valid_from: at(a3.time),
        valid_to: null,
        is_current: true,
      },
      // b's sequence 2 is missing: sequence 1 stays open until it lands.
      {
        item_id: 'b',
        version: 1,
        status: 'committed',
        valid_from: at(b1.time),
        valid_to: null,
        is_current: false,
      },
      {
        item_id: 'b',
        version: 3,
        status: 'available',
        valid_from: at(b3.time),
        valid_to: null,
        is_current: true,
      },
    ]);

    const asOf = (time: string) =>
      select(
        warehouse,
        `SELECT item_id, version, status FROM rims_analytics.item_commitment_as_of(TIMESTAMPTZ '${time}') ORDER BY item_id`,
      );
    expect(await asOf('2026-03-01T09:00:00Z')).toEqual([]);
    expect(await asOf('2026-03-02T12:00:00Z')).toEqual([
      { item_id: 'a', version: 1, status: 'committed' },
      { item_id: 'b', version: 1, status: 'committed' },
    ]);
    expect(await asOf('2026-03-04T12:00:00Z')).toEqual([
      { item_id: 'a', version: 2, status: 'available' },
      { item_id: 'b', version: 3, status: 'available' },
    ]);

    expect(
      await select(warehouse, 'SELECT * FROM rims_analytics.committed_quantity_by_location_sku'),
    ).toEqual([{ location_id: 'store-2', sku: 'SKU-1', items: 1, quantity: 3 }]);

    const statements = statementRunner(warehouse, DEFAULT_DATASETS);
    const perDay = await statements.run('reports/committed_per_location_per_day.sql', { month: ts(run1) });
    expect(perDay.rows).toEqual([
      { day: at('2026-03-01'), location_id: 'store-1', items: 1, quantity: 2 },
      { day: at('2026-03-02'), location_id: 'store-1', items: 2, quantity: 7 },
      { day: at('2026-03-03'), location_id: 'store-1', items: 1, quantity: 5 },
      { day: at('2026-03-05'), location_id: 'store-2', items: 1, quantity: 3 },
      { day: at('2026-03-06'), location_id: 'store-2', items: 1, quantity: 3 },
    ]);
    const itemHistory = await statements.run('reports/item_history.sql', {
      item_id: { type: 'STRING', value: 'a' },
      since: ts(at('2026-01-01T00:00:00Z')),
    });
    expect(itemHistory.rows.map((row) => row.version)).toEqual([1, 2, 3]);
    const asOfReport = await statements.run('reports/committed_as_of.sql', {
      ts: ts(at('2026-03-02T12:00:00Z')),
    });
    expect(asOfReport.rows).toEqual([{ location_id: 'store-1', sku: 'SKU-1', items: 2, quantity: 7 }]);
  });

  it('the live view shows valid events landed since the last merge; duplicates, invalid rows and older sequences change nothing', async () => {
    const { warehouse } = local;
    const now = new Date();
    const c1 = itemEvent('rims.item.committed.v1', 'live-1', 1, {
      quantity: 4,
      location_id: 'store-9',
      sku: 'SKU-9',
    });
    await landRaw(warehouse, [{ body: c1, publishTime: plusMinutes(now, -3) }]);
    await runMerge(warehouse, { from: plusMinutes(now, -10), to: now });
    const columns =
      'item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version, last_event_id, last_event_time';
    const live = () =>
      select(
        warehouse,
        `SELECT ${columns} FROM rims_analytics.item_commitment_live WHERE item_id LIKE 'live-%' ORDER BY item_id`,
      );
    const state = () =>
      select(
        warehouse,
        `SELECT ${columns} FROM rims_core.item_commitment_state WHERE item_id LIKE 'live-%' ORDER BY item_id`,
      );
    expect(await live()).toEqual(await state());

    const r2 = itemEvent('rims.item.released.v1', 'live-1', 2);
    const older = itemEvent('rims.item.cancelled.v1', 'live-1', 1, {}, 'a-lower-id-at-sequence-1');
    const invalid = {
      ...itemEvent('rims.item.committed.v1', 'live-1', 3),
      data: { item_id: 'live-1', order_id: 'o', sku: 's', quantity: 0, location_id: 'l' },
    };
    const fresh = itemEvent('rims.item.committed.v1', 'live-2', 1);
    const stale = itemEvent('rims.item.committed.v1', 'live-3', 1);
    await landRaw(warehouse, [
      { body: r2, publishTime: now },
      { body: r2, publishTime: now }, // a duplicate
      { body: older, publishTime: now },
      { body: invalid, publishTime: now },
      { body: fresh, publishTime: now },
      // Landed 7 hours ago and never merged: outside the live view's 6 hours.
      { body: stale, publishTime: plusMinutes(now, -7 * 60) },
      // A relay's heartbeat is never an item.
      { body: heartbeatEvent('relay-live', 4), publishTime: now },
    ]);
    const before = await state();
    const shown = await live();
    expect(shown.map((row) => [row.item_id, row.version, row.status])).toEqual([
      ['live-1', 2, 'available'],
      ['live-2', 1, 'committed'],
    ]);
    const notItems = () =>
      select(
        warehouse,
        `SELECT item_id FROM rims_analytics.item_commitment_live WHERE item_id LIKE 'heartbeat/%'`,
      );
    expect(await notItems()).toEqual([]);
    expect(await state()).toEqual(before);
    // Once merged, the live view is State again.
    await runMerge(warehouse, { from: plusMinutes(now, -10), to: new Date() });
    expect(await live()).toEqual(await state());
    expect(await notItems()).toEqual([]);
  });
});
