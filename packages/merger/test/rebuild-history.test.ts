/**
 * `rims-merger rebuild-history` on a real DuckDB file: history and daily_committed rebuilt
 * from a Core that predates history (or whose history went wrong), in one transaction under the
 * merge lease; then ordinary runs keep history equal to the rebuild from Core.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@rims/test-harness';
import { useScratchDirectory } from '@rims/test-harness/vitest';
import { ITEM_EVENT_TYPES, type RimsCloudEvent } from '@rims/schemas';
import {
  DEFAULT_DATASETS,
  MergeLease,
  openDuckDbWarehouse,
  provisionWarehouse,
  rebuildDays,
  rebuildHistory,
  runMerge,
  type Warehouse,
} from '../src/index.js';
import { runCli } from '../src/cli/cli.js';
import {
  HISTORY_COLUMNS,
  rebuiltHistorySql,
  itemEvent,
  landRaw,
  plusMinutes,
  select,
  useDuckDbWarehouse,
} from './helpers.js';

const TYPES = ITEM_EVENT_TYPES;
const EVENTS_FROM = Date.UTC(2026, 1, 20);
/** The rebuild's clock: some days after the last event, so days without events are rebuilt too. */
const NOW = new Date('2026-03-10T15:00:00Z');

/**
 * Events of `items` items over some weeks: random types, gaps of up to two days between an item's
 * events (intervals cross days), a missing sequence now and then (an interval left open) and now
 * and then a rival claiming a sequence (the higher id wins).
 */
function randomEvents(seed: number, items: number, prefix = 'r'): RimsCloudEvent[] {
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const events: RimsCloudEvent[] = [];
  for (let item = 0; item < items; item++) {
    let time = EVENTS_FROM + item * 60_000;
    const count = 1 + pick(7);
    for (let sequence = 1; sequence <= count; sequence++) {
      time += (1 + pick(2 * 24 * 60)) * 60_000;
      if (pick(6) === 0) continue;
      const type = TYPES[pick(TYPES.length)] ?? 'rims.item.committed.v1';
      const subject = `${prefix}-${String(item)}`;
      const data = {
        location_id: `store-${String(pick(3))}`,
        sku: `SKU-${String(pick(3))}`,
        quantity: 1 + pick(4),
        ...(type === 'rims.item.snapshot.v1' ? { status: pick(2) === 0 ? 'committed' : 'available' } : {}),
      };
      const make = (id: string) =>
        ({
          ...itemEvent(type, subject, sequence, type === 'rims.item.released.v1' ? {} : data, id),
          time: new Date(time).toISOString(),
        }) as RimsCloudEvent;
      events.push(make(`e-${subject}-${String(sequence)}-a`));
      if (pick(10) === 0) events.push(make(`e-${subject}-${String(sequence)}-b`));
    }
  }
  return events;
}

/** Lands events and merges them (all of them, whatever their event time). */
async function landAndMerge(warehouse: Warehouse, events: readonly RimsCloudEvent[], now: Date) {
  await landRaw(
    warehouse,
    events.map((body) => ({ body, publishTime: plusMinutes(now, -5) })),
  );
  const report = await runMerge(warehouse, { now, lookbackMs: 2 * 86_400_000 });
  expect(report.outcome).toBe('succeeded');
}

/** The warehouse as an older release left it: Core and State, but no history, mart or marker. */
async function forgetHistory(warehouse: Warehouse): Promise<void> {
  for (const table of [
    'rims_core.item_commitment_history',
    'rims_analytics.daily_committed',
    'rims_core.daily_committed_through',
  ])
    await warehouse.query(`DELETE FROM ${table}`);
}

/** Every table a rebuild writes, as rows, to compare before and after. */
async function contents(warehouse: Warehouse) {
  return {
    history: await select(
      warehouse,
      `SELECT ${HISTORY_COLUMNS} FROM rims_core.item_commitment_history ORDER BY item_id, version`,
    ),
    // Days as text: `YYYY-MM-DD`, as the expected rows below give them.
    daily: await select(
      warehouse,
      'SELECT CAST(day AS VARCHAR) AS day, location_id, sku, items, quantity FROM rims_analytics.daily_committed ORDER BY ALL',
    ),
    through: await select(
      warehouse,
      'SELECT name, CAST(through_day AS VARCHAR) AS through_day FROM rims_core.daily_committed_through',
    ),
  };
}

/** What the tables must hold: computed independently of the rebuild's SQL, through the given day. */
async function expected(warehouse: Warehouse, throughDay: string) {
  const rebuilt = rebuiltHistorySql();
  return {
    history: await select(warehouse, `SELECT ${HISTORY_COLUMNS} FROM (${rebuilt}) ORDER BY item_id, version`),
    // The definition: each day's end-of-day as-of state, from the first event's day through the last day.
    daily: await select(
      warehouse,
      `WITH days AS (
         SELECT CAST(unnest(generate_series(
           (SELECT CAST(min(time) AS DATE) FROM rims_core.item_events), DATE '${throughDay}', INTERVAL 1 DAY
         )) AS DATE) AS day
       )
       SELECT CAST(days.day AS VARCHAR) AS day, a.location_id, a.sku, count(*) AS items, sum(a.quantity) AS quantity
       FROM days, LATERAL (
         SELECT * FROM rims_analytics.item_commitment_as_of(days.day + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND)
       ) AS a
       WHERE a.is_potentially_committed
       GROUP BY ALL ORDER BY ALL`,
    ),
    through: [{ name: 'item-commitment', through_day: throughDay }],
  };
}

describe('rebuildHistory on a Core that predates history', () => {
  const local = useDuckDbWarehouse();

  it('rebuilds history, daily_committed for every day and the marker, in one go (no spans locally)', async () => {
    const { warehouse } = local;
    const events = randomEvents(11, 12);
    await landAndMerge(warehouse, events, new Date('2026-03-08T00:00:00Z'));
    await forgetHistory(warehouse);

    const report = await rebuildHistory(warehouse, { now: NOW });

    const want = await expected(warehouse, '2026-03-10');
    const got = await contents(warehouse);
    expect(want.history.length).toBe(new Set(events.map((e) => `${e.subject}/${e.sequence}`)).size);
    expect(want.daily.length).toBeGreaterThan(10);
    expect(got.history).toEqual(want.history);
    expect(got.daily).toEqual(want.daily);
    expect(got.through).toEqual(want.through);
    expect(report.spans).toBeUndefined();
    expect(report).toMatchObject({
      outcome: 'succeeded',
      historyRows: want.history.length,
      dailyRows: want.daily.length,
      firstDay: new Date('2026-02-20T00:00:00Z'),
      throughDay: new Date('2026-03-10T00:00:00Z'),
    });
  });

  it('is idempotent: a second rebuild leaves the same contents', async () => {
    const { warehouse } = local;
    const before = await contents(warehouse);
    const again = await rebuildHistory(warehouse, { now: NOW });
    expect(again.outcome).toBe('succeeded');
    expect(await contents(warehouse)).toEqual(before);
  });

  it('repairs a stale history: rows deleted, altered or invented, mart and marker wrong', async () => {
    const { warehouse } = local;
    const right = await contents(warehouse);
    await warehouse.query(
      "DELETE FROM rims_core.item_commitment_history WHERE item_id IN ('r-1', 'r-4') OR version = 2",
    );
    await warehouse.query(
      "UPDATE rims_core.item_commitment_history SET valid_to = NULL, is_current = true, status = 'committed', is_potentially_committed = true WHERE version = 1",
    );
    await warehouse.query(
      `INSERT INTO rims_core.item_commitment_history VALUES
         ('ghost', 1, 'committed', 'o', 'SKU-9', 9, 'store-9', true, 'e-ghost', TIMESTAMPTZ '2026-01-01', NULL, true)`,
    );
    await warehouse.query("DELETE FROM rims_analytics.daily_committed WHERE day < DATE '2026-03-01'");
    await warehouse.query('UPDATE rims_analytics.daily_committed SET items = items + 1');
    await warehouse.query("UPDATE rims_core.daily_committed_through SET through_day = DATE '2026-01-01'");
    expect(await contents(warehouse)).not.toEqual(right);

    await rebuildHistory(warehouse, { now: NOW });
    expect(await contents(warehouse)).toEqual(right);
  });

  it('hands over to ordinary runs: new and late events keep history equal to the rebuild from Core', async () => {
    const { warehouse } = local;
    const rebuilt = rebuiltHistorySql();
    // New items (their events 17 days later, some after the rebuild's day), and new events of
    // rebuilt items at sequences beyond theirs (so their last interval stays open: a gap).
    const more = [
      ...randomEvents(12, 4, 'n').map((e) => ({
        ...e,
        time: plusMinutes(new Date(e.time), 24 * 60 * 17).toISOString(),
      })),
      {
        ...itemEvent('rims.item.committed.v1', 'r-0', 20),
        time: '2026-03-10T16:00:00.000Z',
      } as RimsCloudEvent,
      {
        ...itemEvent('rims.item.released.v1', 'r-2', 21),
        time: '2026-03-10T17:00:00.000Z',
      } as RimsCloudEvent,
    ];
    let now = new Date('2026-03-10T18:00:00Z');
    for (const batch of [more.slice(0, 3), more.slice(3)]) {
      await landAndMerge(warehouse, batch, now);
      now = plusMinutes(now, 30);
    }
    const got = await contents(warehouse);
    expect(got.history).toEqual(
      await select(warehouse, `SELECT ${HISTORY_COLUMNS} FROM (${rebuilt}) ORDER BY item_id, version`),
    );
    expect(got.history.some((row) => row.item_id === 'r-0' && row.version === 20)).toBe(true);
    // The mart still answers the definition, for the days it holds.
    const through = String(got.through[0]?.through_day);
    expect(got.daily).toEqual((await expected(warehouse, through)).daily);
  });
});

describe('rebuildHistory under the lease and on failure', () => {
  const local = useDuckDbWarehouse();

  beforeAll(async () => {
    await landAndMerge(local.warehouse, randomEvents(21, 6), new Date('2026-03-08T00:00:00Z'));
    await forgetHistory(local.warehouse);
    // A stale history the failed attempts must leave as it is.
    await local.warehouse.query(
      `INSERT INTO rims_core.item_commitment_history VALUES
         ('stale', 1, 'committed', 'o', 'SKU-9', 9, 'store-9', true, 'e-stale', TIMESTAMPTZ '2026-01-01', NULL, true)`,
    );
    await local.warehouse.query(
      "INSERT INTO rims_analytics.daily_committed VALUES (DATE '2026-01-01', 'store-9', 'SKU-9', 1, 9)",
    );
  });

  it('changes nothing and reports the holder while another run holds the lease', async () => {
    const { warehouse } = local;
    const before = await contents(warehouse);
    const other = new MergeLease(warehouse, DEFAULT_DATASETS, 'other-run', 600_000);
    expect(await other.tryAcquire()).toBe(true);
    try {
      const report = await rebuildHistory(warehouse, { now: NOW });
      expect(report).toMatchObject({ outcome: 'skipped', leaseHolder: 'other-run', historyRows: 0 });
      expect(await contents(warehouse)).toEqual(before);
      // The other run's lease is untouched.
      expect(await other.read()).toMatchObject({ holder: 'other-run', active: true });
    } finally {
      await other.release();
    }
  });

  it('leaves the old contents when the transaction fails part-way, and gives the lease back', async () => {
    const { warehouse } = local;
    const before = await contents(warehouse);
    // The real transaction, with a statement after the rebuild's that fails: all must roll back.
    const failing: Warehouse = {
      ...warehouse,
      transaction: (statements, options) =>
        warehouse.transaction(
          [...statements, { sql: "SELECT error('disk full')", statement: 'failing.sql' }],
          options,
        ),
    };
    await expect(rebuildHistory(failing, { now: NOW })).rejects.toThrow(/disk full/);
    expect(await contents(warehouse)).toEqual(before);
    expect((await new MergeLease(warehouse, DEFAULT_DATASETS, 'x', 60_000).read())?.active).toBe(false);
    // And the rebuild then succeeds.
    expect((await rebuildHistory(warehouse, { now: NOW })).outcome).toBe('succeeded');
    expect(await contents(warehouse)).not.toEqual(before);
  });

  it('refuses a lease shorter than a minute, naming the flag', async () => {
    await expect(rebuildHistory(local.warehouse, { leaseTtlMs: 1000 })).rejects.toThrow(
      /--lease-ttl 1000 ms/,
    );
  });

  it('estimates without changing anything or taking the lease (--dry-run)', async () => {
    const { warehouse } = local;
    const before = await contents(warehouse);
    const report = await rebuildHistory(warehouse, { now: NOW, dryRun: true });
    expect(report).toMatchObject({ outcome: 'dry-run', historyRows: 0, bytesProcessed: null });
    expect(await contents(warehouse)).toEqual(before);
  });
});

describe('rebuildDays', () => {
  it('runs through the day of now, or of the latest event when later', () => {
    const now = new Date('2026-03-10T15:00:00Z');
    expect(rebuildDays(now, {})).toEqual({ firstDay: undefined, throughDay: new Date('2026-03-10') });
    expect(
      rebuildDays(now, { first: new Date('2026-02-01T23:59:59Z'), last: new Date('2026-03-12T00:00:01Z') }),
    ).toEqual({ firstDay: new Date('2026-02-01'), throughDay: new Date('2026-03-12') });
  });
});

describe('rims-merger rebuild-history', () => {
  const dir = useScratchDirectory('merger-rebuild-cli');
  const path = join(dir, 'warehouse.duckdb');
  const env = { WAREHOUSE_URL: `duckdb://${path}`, LOG_LEVEL: 'warn' };

  async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, env, {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      onStopSignal: () => undefined,
      cwd: dir,
    });
    return { code, stdout, stderr };
  }

  /** Opens the file for `work` and closes it, so the CLI can open it next. */
  async function withFile<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T> {
    const warehouse = await openDuckDbWarehouse(path);
    try {
      return await work(warehouse);
    } finally {
      await warehouse.close();
    }
  }

  it('rebuilds through today and prints what it did; exit 3 while another run holds the lease', async () => {
    await withFile(async (warehouse) => {
      await provisionWarehouse(warehouse);
      await landAndMerge(warehouse, randomEvents(31, 5), new Date('2026-03-08T00:00:00Z'));
      await forgetHistory(warehouse);
    });

    const done = await cli(['rebuild-history']);
    expect(done.code, done.stderr).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(done.stdout).toMatch(
      new RegExp(
        `^history rebuilt from Core: \\d+ history rows, \\d+ daily_committed rows for days 2026-02-2\\d \\.\\. ${today}; daily_committed_through ${today}; \\d+ ms\\n$`,
      ),
    );
    const json = await cli(['rebuild-history', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      outcome: 'succeeded',
      throughDay: `${today}T00:00:00.000Z`,
    });
    await withFile(async (warehouse) => {
      expect((await contents(warehouse)).through).toEqual([{ name: 'item-commitment', through_day: today }]);
      expect(await new MergeLease(warehouse, DEFAULT_DATASETS, 'other-run', 600_000).tryAcquire()).toBe(true);
    });

    const refused = await cli(['rebuild-history']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      'skipped: another run (other-run) holds the merge lease; nothing changed',
    );
    const dry = await cli(['rebuild-history', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`dry run of the history rebuild through ${today}`);
  });
});
