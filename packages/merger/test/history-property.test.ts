/**
 * Property: whatever events exist, whatever order they land in, however they are split over runs
 * and duplicated, after the runs rims_core.item_commitment_history equals the full rebuild from
 * Core (history/rebuilt.sql), its current rows equal State (whenever State's recent changes moved
 * into its base), and rims_analytics.daily_committed equals the end-of-day as-of state. On a real
 * DuckDB file.
 *
 * Replay a failure with the seed (and path) fast-check prints:
 * HISTORY_PROPERTY_SEED=123 HISTORY_PROPERTY_PATH=0:1 pnpm exec vitest run packages/merger/test/history-property.test.ts
 * HISTORY_PROPERTY_RUNS sets the number of cases (default 12).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ItemEventType, RimsCloudEvent } from '@rims/schemas';
import {
  DEFAULT_DATASETS,
  HISTORY_REBUILT,
  renderStatement,
  runMerge,
  type Warehouse,
} from '../src/index.js';
import { itemEvent, landRaw, plusMinutes, select, useDuckDbWarehouse } from './helpers.js';

const TYPES: readonly ItemEventType[] = [
  'rims.item.committed.v1',
  'rims.item.released.v1',
  'rims.item.fulfilled.v1',
  'rims.item.cancelled.v1',
];
const EPOCH_OF_EVENTS = Date.UTC(2026, 1, 20);
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
  type: fc.nat(3),
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
});

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
    'rims_core.item_history_spans',
    'rims_core.merge_runs',
    'rims_analytics.daily_committed',
  ])
    await warehouse.query(`DELETE FROM ${table}`);
}

const HISTORY_COLUMNS =
  'item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id, valid_from, valid_to, is_current';

/** History as maintained, and as rebuilt from Core. */
async function historyAndRebuild(warehouse: Warehouse) {
  const rebuilt = renderStatement('duckdb', HISTORY_REBUILT, DEFAULT_DATASETS).replace(/;\s*$/, '');
  return {
    maintained: await select(
      warehouse,
      `SELECT ${HISTORY_COLUMNS} FROM rims_core.item_commitment_history ORDER BY item_id, version`,
    ),
    rebuilt: await select(warehouse, `SELECT ${HISTORY_COLUMNS} FROM (${rebuilt}) ORDER BY item_id, version`),
  };
}

/** daily_committed, and the same days from the as-of macro at each day's last microsecond. */
async function dailyAndAsOf(warehouse: Warehouse) {
  const daily = await select(
    warehouse,
    'SELECT day, location_id, sku, items, quantity FROM rims_analytics.daily_committed ORDER BY ALL',
  );
  const expected = await select(
    warehouse,
    `WITH days AS (SELECT DISTINCT day FROM rims_analytics.daily_committed)
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
      fc.asyncProperty(scenario, async ({ items, order, runs, cut, compactionMinRows }) => {
        await reset(warehouse);
        const events = eventsOf(items);
        const landing = events
          .map((event, index) => ({ event, key: order(index), run: cut(index) % runs }))
          .sort((a, b) => a.key - b.key || a.run - b.run);
        let now = FIRST_RUN;
        for (let run = 0; run < runs; run++) {
          now = plusMinutes(FIRST_RUN, run * 60);
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
        const { daily, expected } = await dailyAndAsOf(warehouse);
        expect(daily).toEqual(expected);
        // A rerun over everything changes nothing.
        const rerun = await runMerge(warehouse, { now: plusMinutes(now, 10), lookbackMs: 30 * 86_400_000 });
        expect(rerun.chunks[0]).toMatchObject({ historyChanged: 0, dailyChanged: 0 });
      }),
      {
        numRuns: Number(process.env.HISTORY_PROPERTY_RUNS ?? 12),
        ...(seed === undefined ? {} : { seed }),
        ...(process.env.HISTORY_PROPERTY_PATH ? { path: process.env.HISTORY_PROPERTY_PATH } : {}),
        endOnFailure: true,
      },
    );
  }, 600_000);
});
