/**
 * DuckDB's State layout (sql/duckdb/ddl/030): a view over a base table and a small table of recent
 * changes. The view must show the same rows before, during and after a compaction, whichever step
 * it stopped at and however often a step is rerun; and a State table of an earlier release must
 * become the base with its rows intact.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASETS, MergeLease, provisionWarehouse, runMerge, statementRunner } from '../src/index.js';
import { stringParam } from '../src/params.js';
import { itemEvent, landRaw, plusMinutes, select, useDuckDbWarehouse } from './helpers.js';

const STATE = 'SELECT * FROM rims_core.item_commitment_state ORDER BY item_id';
const T = new Date('2026-05-01T12:00:00Z');

describe('State as recent changes over a base', () => {
  const local = useDuckDbWarehouse();

  it('shows the same rows after each compaction step, each rerun, and when done', async () => {
    const { warehouse } = local;
    const committed = { location_id: 'store-1', sku: 'SKU-1', quantity: 2 };
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'a', 1, committed), publishTime: plusMinutes(T, -50) },
      { body: itemEvent('rims.item.committed.v1', 'b', 1, committed), publishTime: plusMinutes(T, -50) },
      {
        body: itemEvent('rims.item.committed.v1', 'c', 1, committed, 'c-1'),
        publishTime: plusMinutes(T, -50),
      },
    ]);
    // Everything moves into base at once.
    await runMerge(warehouse, { now: T, stateCompactionMinRows: 0 });
    expect(
      await select(warehouse, 'SELECT count(*) AS n FROM rims_core.item_commitment_state_recent'),
    ).toEqual([{ n: 0 }]);

    // Newer events for a and b, a new item d, and a rival of c's only event with a lower id (base's
    // row wins the tie) go to recent only.
    const later = plusMinutes(T, 30);
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.released.v1', 'a', 2), publishTime: plusMinutes(later, -5) },
      { body: itemEvent('rims.item.fulfilled.v1', 'b', 2), publishTime: plusMinutes(later, -5) },
      {
        body: itemEvent('rims.item.committed.v1', 'c', 1, committed, 'c-0'),
        publishTime: plusMinutes(later, -5),
      },
      { body: itemEvent('rims.item.committed.v1', 'd', 1, committed), publishTime: plusMinutes(later, -5) },
    ]);
    await runMerge(warehouse, { now: later, lookbackMs: 3_600_000, stateCompactionMinRows: 1_000_000 });
    const recent = await select(
      warehouse,
      'SELECT item_id, version FROM rims_core.item_commitment_state_recent ORDER BY 1',
    );
    expect(recent).toEqual([
      { item_id: 'a', version: 2 },
      { item_id: 'b', version: 2 },
      { item_id: 'c', version: 1 },
      { item_id: 'd', version: 1 },
    ]);
    const expected = await select(warehouse, STATE);
    expect(expected.map((row) => [row.item_id, row.version, row.status, row.last_event_id])).toEqual([
      ['a', 2, 'available', expect.any(String)],
      ['b', 2, 'fulfilled', expect.any(String)],
      ['c', 1, 'committed', 'c-1'],
      ['d', 1, 'committed', expect.any(String)],
    ]);

    // The steps by hand, under a lease, each run twice, the view checked after every one.
    const lease = new MergeLease(warehouse, DEFAULT_DATASETS, 'compaction-test', 60_000);
    expect(await lease.tryAcquire()).toBe(true);
    const statements = statementRunner(warehouse, DEFAULT_DATASETS);
    for (const step of [
      'state/010_delete_superseded.sql',
      'state/020_insert_recent.sql',
      'state/030_delete_absorbed.sql',
    ]) {
      for (let attempt = 0; attempt < 2; attempt++) {
        await statements.run(step, { holder: stringParam('compaction-test') });
        expect(await select(warehouse, STATE)).toEqual(expected);
      }
    }
    await lease.release();
    expect(
      await select(warehouse, 'SELECT count(*) AS n FROM rims_core.item_commitment_state_recent'),
    ).toEqual([{ n: 0 }]);
    expect(
      await select(
        warehouse,
        'SELECT item_id, count(*) AS n FROM rims_core.item_commitment_state_base GROUP BY 1 ORDER BY 1',
      ),
    ).toEqual(['a', 'b', 'c', 'd'].map((item_id) => ({ item_id, n: 1 })));
  });

  it('changes nothing when the run holding the lease lost it', async () => {
    const { warehouse } = local;
    const later = plusMinutes(T, 90);
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.cancelled.v1', 'd', 2), publishTime: plusMinutes(later, -5) },
    ]);
    await runMerge(warehouse, { now: later, lookbackMs: 3_600_000, stateCompactionMinRows: 1_000_000 });
    const before = {
      base: await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state_base ORDER BY 1'),
      recent: await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state_recent ORDER BY 1'),
    };
    expect(before.recent).toHaveLength(1);
    const statements = statementRunner(warehouse, DEFAULT_DATASETS);
    for (const step of [
      'state/010_delete_superseded.sql',
      'state/020_insert_recent.sql',
      'state/030_delete_absorbed.sql',
    ])
      await statements.run(step, { holder: stringParam('not-the-holder') });
    expect({
      base: await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state_base ORDER BY 1'),
      recent: await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state_recent ORDER BY 1'),
    }).toEqual(before);
  });
});

describe('provisioning a State table of an earlier release', () => {
  const local = useDuckDbWarehouse();

  it('renames it to the base, keeps its rows, and merges and compacts on top of it', async () => {
    const { warehouse } = local;
    // As the release before the layout made it: a table, with a primary key.
    await warehouse.script(`
      DROP VIEW rims_core.item_commitment_state;
      DROP TABLE rims_core.item_commitment_state_base;
      DROP TABLE rims_core.item_commitment_state_recent;
      CREATE TABLE rims_core.item_commitment_state (
        item_id VARCHAR NOT NULL PRIMARY KEY, status VARCHAR NOT NULL, order_id VARCHAR, sku VARCHAR,
        quantity BIGINT, location_id VARCHAR, is_potentially_committed BOOLEAN NOT NULL,
        version BIGINT NOT NULL, last_event_id VARCHAR NOT NULL, last_event_time TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      INSERT INTO rims_core.item_commitment_state VALUES
        ('old-1', 'committed', 'o-1', 'SKU-1', 1, 'store-1', true, 4, 'e-old-1', TIMESTAMPTZ '2026-04-01 00:00:00+00', TIMESTAMPTZ '2026-04-01 00:00:00+00'),
        ('old-2', 'available', 'o-2', NULL, NULL, NULL, false, 7, 'e-old-2', TIMESTAMPTZ '2026-04-02 00:00:00+00', TIMESTAMPTZ '2026-04-02 00:00:00+00');
    `);
    const old = await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state ORDER BY item_id');

    const dry = await provisionWarehouse(warehouse, { dryRun: true });
    expect(dry.filter((step) => step.action.startsWith('rename table')).map((step) => step.status)).toEqual([
      'planned',
    ]);
    const steps = await provisionWarehouse(warehouse);
    expect(steps.filter((step) => step.action.startsWith('rename table')).map((step) => step.status)).toEqual(
      ['applied'],
    );
    expect(await select(warehouse, STATE)).toEqual(old);
    // Provisioning again finds the layout in place.
    expect((await provisionWarehouse(warehouse)).some((step) => step.action.startsWith('rename table'))).toBe(
      false,
    );

    await landRaw(warehouse, [
      { body: itemEvent('rims.item.released.v1', 'old-1', 5), publishTime: plusMinutes(T, -5) },
      { body: itemEvent('rims.item.committed.v1', 'old-2', 3), publishTime: plusMinutes(T, -5) },
    ]);
    // The base keeps its primary key: compaction deletes, then inserts, in separate statements.
    await runMerge(warehouse, { now: T, stateCompactionMinRows: 0 });
    expect((await select(warehouse, STATE)).map((row) => [row.item_id, row.version, row.status])).toEqual([
      ['old-1', 5, 'available'],
      ['old-2', 7, 'available'],
    ]);
    expect(
      await select(warehouse, 'SELECT count(*) AS n FROM rims_core.item_commitment_state_recent'),
    ).toEqual([{ n: 0 }]);
  });
});
