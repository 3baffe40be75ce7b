import { describe, expect, it } from 'vitest';
import { runMerge, type QueryOptions, type Warehouse } from '../src/index.js';
import { itemEvent, landRaw, select, useDuckDbWarehouse } from './helpers.js';

const local = useDuckDbWarehouse();

/** The warehouse, calling `after` once the statement `path` has run (to land rows mid-run). */
function landingAfter(warehouse: Warehouse, path: string, after: () => Promise<void>): Warehouse {
  return {
    ...warehouse,
    async query(sql: string, options?: QueryOptions) {
      const result = await warehouse.query(sql, options);
      if (options?.statement === path) await after();
      return result;
    },
  };
}

describe('rows landing while a run is in progress', () => {
  it('never inserts a second Core row for a copy that lands between the window query and the Core MERGE', async () => {
    const { warehouse } = local;
    const first = new Date('2026-03-01T00:00:00Z');
    // An event merged by an earlier run. Its event time is early (sequence 1).
    const early = itemEvent('rims.item.committed.v1', 'race-1', 1);
    await landRaw(warehouse, [{ body: early, publishTime: new Date(first.getTime() - 60_000) }]);
    expect((await runMerge(warehouse, { now: first })).chunks[0]?.coreInserted).toBe(1);

    // The next run's window holds one event with a much later event time (sequence 100) ...
    const later = itemEvent('rims.item.committed.v1', 'race-2', 100);
    await landRaw(warehouse, [{ body: later, publishTime: new Date(first.getTime() + 1_000) }]);
    // ... and, after its window query has computed the event-time bounds from that event alone, a
    // second copy of the early event lands, published inside the window (a redelivery written late).
    const racing = landingAfter(warehouse, 'merge/010_window.sql', () =>
      landRaw(warehouse, [{ body: early, publishTime: new Date(first.getTime() + 2_000) }]),
    );
    await runMerge(racing, { now: new Date(first.getTime() + 60_000), lookbackMs: 0 });

    expect(
      await select(
        warehouse,
        `SELECT id, count(*) AS copies FROM rims_core.item_events GROUP BY id ORDER BY id`,
      ),
    ).toEqual([
      { id: early.id, copies: 1 },
      { id: later.id, copies: 1 },
    ]);
    // Core and State agree: the late copy changes neither.
    expect(
      await select(
        warehouse,
        'SELECT item_id, version FROM rims_core.item_commitment_state ORDER BY item_id',
      ),
    ).toEqual([
      { item_id: 'race-1', version: 1 },
      { item_id: 'race-2', version: 100 },
    ]);
  });
});
