/**
 * Property: whatever events exist, whatever order they land in, however they are split over runs
 * and duplicated, after the runs rims_core.item_commitment_history equals the full rebuild from
 * Core (history/rebuilt.sql), its current rows equal State (whenever State's recent changes moved
 * into its base), rims_analytics.daily_committed equals the end-of-day as-of state, and
 * rims_core.item_state_discrepancies holds exactly the snapshots that differ from the version
 * before them in that rebuild. On a real DuckDB file.
 *
 * Replay a failure with the seed (and path) fast-check prints:
 * HISTORY_PROPERTY_SEED=123 HISTORY_PROPERTY_PATH=0:1 pnpm exec vitest run packages/merger/test/history-property.test.ts
 * HISTORY_PROPERTY_RUNS sets the number of cases (default 20).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ITEM_EVENT_TYPES, ITEM_STATUSES, type RimsCloudEvent } from '@rims/schemas';
import { runMerge, startOfUtcDay, type Warehouse } from '../src/index.js';
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
// Events span days before and after the runs: some are dated after the run that merges them.
const EPOCH_OF_EVENTS = Date.UTC(2026, 1, 26);
const FIRST_RUN = new Date('2026-03-01T12:00:00Z');

interface Step {
  readonly type: number;
  /** Minutes after the previous event of the item (up to two days: intervals cross days). */
  readonly gap: number;
  /** Never lands: a gap in the item's sequences. */
  readonly missing: boolean;
  /** Lands twice (a second message). */
  readonly duplicate: boolean;
  /** Another event claims the same sequence (a tie, resolved by the higher id). */
  readonly rival: boolean;
  readonly location: number;
  readonly sku: number;
}

const step = fc.record({
  type: fc.nat(4),
  gap: fc.integer({ min: 1, max: 2 * 24 * 60 }),
  missing: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  duplicate: fc.boolean(),
  rival: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  location: fc.nat(2),
  sku: fc.nat(2),
});

const scenario = fc.record({
  items: fc.array(fc.array(step, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
  order: fc.func(fc.double({ min: 0, max: 1, noNaN: true })),
  runs: fc.integer({ min: 1, max: 4 }),
  cut: fc.func(fc.nat(3)),
  // DuckDB State: recent changes moved into its base after every run, sometimes, or never.
  compactionMinRows: fc.constantFrom(0, 2, 1_000_000),
  // Minutes between runs: runs on one day, or runs that cross midnight (new days carried forward).
  spacing: fc.constantFrom(60, 13 * 60, 30 * 60),
});

/**
 * A snapshot's data: a status drawn from the step, the fields of a committed event of the same
 * step, and, for sku 0, the order of the event before it, so some snapshots match the state before
 * them and some drift.
 */
function snapshotData(s: Step, item: string, sequence: number) {
  return {
    status: ITEM_STATUSES[(s.location + s.sku) % ITEM_STATUSES.length] ?? 'committed',
    order_id: `order-${item}-${String(s.sku === 0 ? sequence - 1 : sequence)}`,
    location_id: `store-${String(s.location)}`,
    sku: `SKU-${String(s.sku)}`,
    quantity: 1 + s.sku,
  };
}

/** The events of a scenario (duplicates and rivals included; missing ones left out). */
function eventsOf(items: readonly (readonly Step[])[]): RimsCloudEvent[] {
  const events: RimsCloudEvent[] = [];
  items.forEach((steps, item) => {
    let time = EPOCH_OF_EVENTS + item * 60_000;
    steps.forEach((s, index) => {
      time += s.gap * 60_000;
      const sequence = index + 1;
      if (s.missing) return;
      const type = TYPES[s.type] ?? 'rims.item.committed.v1';
      const make = (id: string) => {
        const event = itemEvent(
          type,
          `p-${String(item)}`,
          sequence,
          type === 'rims.item.committed.v1'
            ? { location_id: `store-${String(s.location)}`, sku: `SKU-${String(s.sku)}`, quantity: 1 + s.sku }
            : type === 'rims.item.snapshot.v1'
              ? snapshotData(s, `p-${String(item)}`, sequence)
              : {},
          id,
        );
        return { ...event, time: new Date(time).toISOString() } as RimsCloudEvent;
      };
      events.push(make(`e-${String(item)}-${String(sequence)}-a`));
      if (s.duplicate) events.push(make(`e-${String(item)}-${String(sequence)}-a`));
      if (s.rival) events.push(make(`e-${String(item)}-${String(sequence)}-b`));
    });
  });
  return events;
}

async function reset(warehouse: Warehouse): Promise<void> {
  for (const table of [
    'rims_raw.item_events',
    'rims_core.item_events',
    'rims_core.item_events_rejected',
    'rims_core.item_commitment_state_base',
    'rims_core.item_commitment_state_recent',
    'rims_core.item_commitment_history',
    'rims_core.merge_runs',
    'rims_analytics.daily_committed',
    'rims_core.daily_committed_through',
    'rims_core.item_state_discrepancies',
  ])
    await warehouse.query(`DELETE FROM ${table}`);
}

/** History as maintained, and as rebuilt from Core. */
async function historyAndRebuild(warehouse: Warehouse) {
  const rebuilt = rebuiltHistorySql();
  return {
    maintained: await select(
      warehouse,
      `SELECT ${HISTORY_COLUMNS} FROM rims_core.item_commitment_history ORDER BY item_id, version`,
    ),
    rebuilt: await select(warehouse, `SELECT ${HISTORY_COLUMNS} FROM (${rebuilt}) ORDER BY item_id, version`),
  };
}

/**
 * The discrepancies the rebuilt history implies: each snapshot version whose version - 1 exists and
 * differs (status; order_id when the snapshot states one; sku, quantity, location_id). Items with
 * rival events are left out: a rival landing after a snapshot was compared changes version n - 1
 * (or n) under a discrepancy already written, which is kept (two events claiming one sequence break
 * the outbox's contract; the audit's counts show them).
 */
function expectedDiscrepancies(
  rebuilt: readonly Record<string, unknown>[],
  events: readonly RimsCloudEvent[],
) {
  const snapshots = new Set(events.filter((e) => e.type === 'rims.item.snapshot.v1').map((e) => e.id));
  const rivals = new Set(events.filter((e) => e.id.endsWith('-b')).map((e) => e.subject));
  const byVersion = new Map(rebuilt.map((row) => [`${String(row.item_id)}/${String(row.version)}`, row]));
  return rebuilt
    .filter((row) => snapshots.has(String(row.event_id)) && !rivals.has(String(row.item_id)))
    .filter((row) => {
      const before = byVersion.get(`${String(row.item_id)}/${String(Number(row.version) - 1)}`);
      if (!before) return false;
      return (
        row.status !== before.status ||
        (row.order_id !== null && row.order_id !== before.order_id) ||
        row.sku !== before.sku ||
        row.quantity !== before.quantity ||
        row.location_id !== before.location_id
      );
    })
    .map((row) => ({ item_id: row.item_id, sequence: row.version, event_id: row.event_id }));
}

/**
 * daily_committed, and what it must hold: for every day from the first event's to the last day
 * held, the as-of macro at the day's last microsecond.
 */
async function dailyAndAsOf(warehouse: Warehouse) {
  const daily = await select(
    warehouse,
    'SELECT day, location_id, sku, items, quantity FROM rims_analytics.daily_committed ORDER BY ALL',
  );
  const expected = await select(
    warehouse,
    `WITH days AS (
       SELECT CAST(unnest(generate_series(
         (SELECT CAST(CAST(min(time) AS DATE) AS TIMESTAMP) FROM rims_core.item_events),
         (SELECT CAST(through_day AS TIMESTAMP) FROM rims_core.daily_committed_through),
         INTERVAL 1 DAY)) AS DATE) AS day
     )
     SELECT days.day, a.location_id, a.sku, count(*) AS items, sum(a.quantity) AS quantity
     FROM days, LATERAL (
       SELECT * FROM rims_analytics.item_commitment_as_of(days.day + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND)
     ) AS a
     WHERE a.is_potentially_committed
     GROUP BY ALL ORDER BY ALL`,
  );
  return { daily, expected };
}

describe('history under random events, landing orders, run boundaries and duplicates', () => {
  const local = useDuckDbWarehouse();

  it('equals the rebuild from Core after every sequence of runs; a rerun changes nothing', async () => {
    const { warehouse } = local;
    const seed = process.env.HISTORY_PROPERTY_SEED ? Number(process.env.HISTORY_PROPERTY_SEED) : undefined;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ items, order, runs, cut, compactionMinRows, spacing }) => {
        await reset(warehouse);
        const events = eventsOf(items);
        const landing = events
          .map((event, index) => ({ event, key: order(index), run: cut(index) % runs }))
          .sort((a, b) => a.key - b.key || a.run - b.run);
        let now = FIRST_RUN;
        for (let run = 0; run < runs; run++) {
          now = plusMinutes(FIRST_RUN, run * spacing);
          const batch = landing.filter((landed) => landed.run === run);
          await landRaw(
            warehouse,
            batch.map(({ event }, index) => ({
              body: event,
              publishTime: plusMinutes(now, -5),
              messageId: `m-${String(run)}-${String(index)}`,
            })),
          );
          const report = await runMerge(warehouse, {
            now,
            lookbackMs: 2 * 86_400_000,
            stateCompactionMinRows: compactionMinRows,
          });
          expect(report.outcome).toBe('succeeded');
        }
        const { maintained, rebuilt } = await historyAndRebuild(warehouse);
        expect(maintained).toEqual(rebuilt);
        expect(maintained.length).toBe(
          new Set(events.map((event) => `${event.subject}/${event.sequence}`)).size,
        );
        // The current rows are State.
        expect(
          await select(
            warehouse,
            `SELECT h.item_id, h.version, h.event_id, h.status FROM rims_core.item_commitment_history h
             WHERE is_current ORDER BY item_id`,
          ),
        ).toEqual(
          await select(
            warehouse,
            'SELECT item_id, version, last_event_id AS event_id, status FROM rims_core.item_commitment_state ORDER BY item_id',
          ),
        );
        // daily_committed holds every day up to the later of the last run's and the latest event's.
        const latest = Math.max(now.getTime(), ...events.map((event) => Date.parse(event.time)));
        expect(await select(warehouse, 'SELECT through_day FROM rims_core.daily_committed_through')).toEqual([
          { through_day: new Date(startOfUtcDay(new Date(latest))) },
        ]);
        const { daily, expected } = await dailyAndAsOf(warehouse);
        expect(daily).toEqual(expected);
        // Drift: once per snapshot that differs from the version before it, whatever the order.
        const rivals = new Set(events.filter((e) => e.id.endsWith('-b')).map((e) => e.subject));
        const found = await select(
          warehouse,
          'SELECT item_id, sequence, event_id FROM rims_core.item_state_discrepancies ORDER BY item_id, sequence',
        );
        expect(found.filter((row) => !rivals.has(String(row.item_id)))).toEqual(
          expectedDiscrepancies(rebuilt, events),
        );
        // A rerun over everything changes nothing.
        const rerun = await runMerge(warehouse, { now: plusMinutes(now, 10), lookbackMs: 30 * 86_400_000 });
        expect(rerun.chunks[0]).toMatchObject({ historyChanged: 0, dailyChanged: 0, discrepanciesFound: 0 });
      }),
      {
        numRuns: Number(process.env.HISTORY_PROPERTY_RUNS ?? 20),
        ...(seed === undefined ? {} : { seed }),
        ...(process.env.HISTORY_PROPERTY_PATH ? { path: process.env.HISTORY_PROPERTY_PATH } : {}),
        endOnFailure: true,
      },
    );
  }, 600_000);
});
