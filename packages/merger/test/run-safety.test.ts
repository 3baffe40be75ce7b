import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DATASETS,
  MergeLease,
  MergeLeaseError,
  MergeStoppedError,
  MergerConfigError,
  WarehouseError,
  chunkWindow,
  createScheduler,
  provisionWarehouse,
  readWatermark,
  runMerge,
  type Warehouse,
} from '../src/index.js';
import { itemEvent, landRaw, plusMinutes, select, useDuckDbWarehouse } from './helpers.js';

const DAY = 86_400_000;
const LOOKBACK = 2 * DAY;

/** The real warehouse, running `before` ahead of one statement file: to act between steps of a run. */
function beforeStatement(warehouse: Warehouse, statement: string, before: () => Promise<void>): Warehouse {
  return {
    dialect: warehouse.dialect,
    description: warehouse.description,
    query: async (sql, options) => {
      if (options?.statement === statement) await before();
      return warehouse.query(sql, options);
    },
    transaction: async (statements, options) => {
      if (statements.some((s) => s.statement === statement)) await before();
      return warehouse.transaction(statements, options);
    },
    script: (sql, options) => warehouse.script(sql, options),
    tableColumns: (dataset, table) => warehouse.tableColumns(dataset, table),
    addColumns: (dataset, table, missing) => warehouse.addColumns(dataset, table, missing),
    ensureDatasets: (datasets) => warehouse.ensureDatasets(datasets),
    close: () => warehouse.close(),
  };
}

async function stateOf(warehouse: Warehouse, item: string) {
  return select(
    warehouse,
    `SELECT item_id, status, version, last_event_id FROM rims_core.item_commitment_state WHERE item_id = '${item}'`,
  );
}

describe('the watermark', () => {
  const local = useDuckDbWarehouse();

  it('moves only with incremental runs: a repair after it leaves late rows to the next lookback', async () => {
    const { warehouse } = local;
    const day = (n: number) => new Date(Date.UTC(2026, 8, 1) + n * DAY);
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'wm-0', 1), publishTime: plusMinutes(day(3), -60) },
    ]);
    expect((await runMerge(warehouse, { now: day(3), lookbackMs: LOOKBACK })).outcome).toBe('succeeded');
    const repair = await runMerge(warehouse, { now: day(5), from: day(4), to: day(5) });
    expect(repair.outcome).toBe('succeeded');
    expect(await readWatermark(warehouse)).toEqual(day(3));

    // Late rows inside the lookback of the last incremental run (its window starts at day 1).
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'wm-1', 1), publishTime: day(1) },
      { body: itemEvent('rims.item.committed.v1', 'wm-2', 1), publishTime: day(2.5) },
    ]);
    const next = await runMerge(warehouse, { now: plusMinutes(day(5), 60), lookbackMs: LOOKBACK });
    expect(next).toMatchObject({ watermark: day(3), windowFrom: day(1) });
    expect(await stateOf(warehouse, 'wm-1')).toMatchObject([{ version: 1 }]);
    expect(await stateOf(warehouse, 'wm-2')).toMatchObject([{ version: 1 }]);
  });

  it('refuses a repair that reaches past now, naming --to', async () => {
    const { warehouse } = local;
    const now = new Date('2026-09-10T00:00:00Z');
    const refused = runMerge(warehouse, { now, from: plusMinutes(now, -60), to: plusMinutes(now, 60) });
    await expect(refused).rejects.toBeInstanceOf(MergerConfigError);
    await expect(refused).rejects.toThrow(/--to .* is later than now/);
  });
});

describe('the merge lease', () => {
  const local = useDuckDbWarehouse();

  it('records a run whose lease lapsed after its last renewal as failed, not succeeded', async () => {
    const { warehouse } = local;
    const now = new Date('2026-09-15T00:00:00Z');
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'lapse-1', 1), publishTime: plusMinutes(now, -5) },
    ]);
    // The lease runs out just before the State MERGE: its fencing then lets nothing through.
    const lapsing = beforeStatement(warehouse, 'merge/040_item_commitment_state.sql', async () => {
      await warehouse.query(
        "UPDATE rims_core.merge_lease SET expires_at = current_timestamp - INTERVAL 1 SECOND WHERE name = 'item-commitment'",
      );
    });
    await expect(runMerge(lapsing, { now, holder: 'lapsing-run' })).rejects.toBeInstanceOf(MergeLeaseError);
    expect(
      await select(
        warehouse,
        "SELECT outcome, state_changed FROM rims_core.merge_runs WHERE holder = 'lapsing-run'",
      ),
    ).toEqual([{ outcome: 'failed', state_changed: 0 }]);
    expect(await stateOf(warehouse, 'lapse-1')).toEqual([]);
    expect(await readWatermark(warehouse)).toBeUndefined();

    // The failed run did not move the watermark: the next one redoes the window.
    expect((await runMerge(warehouse, { now: plusMinutes(now, 1) })).outcome).toBe('succeeded');
    expect(await stateOf(warehouse, 'lapse-1')).toMatchObject([{ version: 1 }]);
  });

  it('refuses a lease shorter than a minute and a chunk or interval that is not positive', async () => {
    const { warehouse } = local;
    const now = new Date('2026-09-16T00:00:00Z');
    await expect(runMerge(warehouse, { now, leaseTtlMs: 1_000 })).rejects.toThrow(
      /--lease-ttl .* at least 1m/,
    );
    await expect(
      runMerge(warehouse, { now, from: plusMinutes(now, -60), to: now, chunkMs: 0 }),
    ).rejects.toBeInstanceOf(MergerConfigError);
    expect(() => chunkWindow(plusMinutes(now, -60), now, 0)).toThrow(MergerConfigError);
    expect(() => createScheduler({ everyMs: 0, task: () => Promise.resolve() })).toThrow(MergerConfigError);
  });

  it('stops after the statement in hand when asked: the chunk is recorded as failed and the lease given back', async () => {
    const { warehouse } = local;
    const now = new Date('2026-09-17T00:00:00Z');
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'stop-1', 1), publishTime: plusMinutes(now, -5) },
    ]);
    const stop = new AbortController();
    const stopping = beforeStatement(warehouse, 'merge/020_core_item_events.sql', () => {
      stop.abort();
      return Promise.resolve();
    });
    await expect(
      runMerge(stopping, { now, holder: 'stopped-run', signal: stop.signal }),
    ).rejects.toBeInstanceOf(MergeStoppedError);
    expect(
      await select(
        warehouse,
        "SELECT outcome, core_inserted FROM rims_core.merge_runs WHERE holder = 'stopped-run'",
      ),
    ).toEqual([{ outcome: 'failed', core_inserted: 1 }]);
    const lease = new MergeLease(warehouse, DEFAULT_DATASETS, 'reader', 60_000);
    expect(await lease.read()).toMatchObject({ holder: 'stopped-run', active: false });
  });

  it('fails, naming provision, when the lease row is missing instead of skipping every run', async () => {
    const { warehouse } = local;
    const now = new Date('2026-09-18T00:00:00Z');
    await warehouse.query('DELETE FROM rims_core.merge_lease');
    const run = runMerge(warehouse, { now });
    await expect(run).rejects.toBeInstanceOf(WarehouseError);
    await expect(run).rejects.toThrow(/run `rims-merger provision`/);
    await provisionWarehouse(warehouse);
    expect((await runMerge(warehouse, { now })).outcome).toBe('succeeded');
  });
});

describe('State on equal sequences', () => {
  const local = useDuckDbWarehouse();

  it('keeps the event with the higher id whichever arrives first', async () => {
    const { warehouse } = local;
    const t0 = new Date('2026-09-20T00:00:00Z');
    // Two different events claim sequence 1 of each item; the items see them in opposite orders.
    const a = (item: string) => itemEvent('rims.item.committed.v1', item, 1, {}, `${item}-a`);
    const b = (item: string) => itemEvent('rims.item.cancelled.v1', item, 1, {}, `${item}-b`);
    await landRaw(warehouse, [
      { body: a('tie-1'), publishTime: plusMinutes(t0, -5) },
      { body: b('tie-2'), publishTime: plusMinutes(t0, -5) },
    ]);
    await runMerge(warehouse, { now: t0 });
    await landRaw(warehouse, [
      { body: b('tie-1'), publishTime: plusMinutes(t0, 5) },
      { body: a('tie-2'), publishTime: plusMinutes(t0, 5) },
    ]);
    await runMerge(warehouse, { now: plusMinutes(t0, 10) });
    expect(await stateOf(warehouse, 'tie-1')).toEqual([
      { item_id: 'tie-1', status: 'cancelled', version: 1, last_event_id: 'tie-1-b' },
    ]);
    expect(await stateOf(warehouse, 'tie-2')).toEqual([
      { item_id: 'tie-2', status: 'cancelled', version: 1, last_event_id: 'tie-2-b' },
    ]);
  });
});

describe('statement timeouts', () => {
  const local = useDuckDbWarehouse();

  it('stops a DuckDB statement at its timeout, as BigQuery cancels a job at jobTimeoutMs', async () => {
    const started = Date.now();
    const slow = local.warehouse.query('SELECT sum(i * i) AS s FROM range(100000000000) t(i)', {
      statement: 'slow.sql',
      timeoutMs: 200,
    });
    await expect(slow).rejects.toThrow(/slow\.sql was stopped at its timeout of 200 ms/);
    expect(Date.now() - started).toBeLessThan(20_000);
    // The connection is usable afterwards.
    expect(await select(local.warehouse, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('gives each step under the lease a timeout that ends before the lease does, and starts none without time left', async () => {
    const lease = new MergeLease(local.warehouse, DEFAULT_DATASETS, 'timeout-holder', 60_000);
    expect(() => lease.statementTimeoutMs()).toThrow(MergeLeaseError);
    expect(await lease.tryAcquire()).toBe(true);
    const timeout = lease.statementTimeoutMs();
    // One minute, less a tenth of it for clock skew and job start-up.
    expect(timeout).toBeGreaterThan(50_000);
    expect(timeout).toBeLessThanOrEqual(54_000);
    expect(() => lease.statementTimeoutMs(Date.now() + 55_000)).toThrow(/has less than 6000 ms left/);
    await lease.release();
  });
});
