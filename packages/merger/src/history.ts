/**
 * The history steps of a merge run: after State, the commitment history of the items the run
 * touched (rims_core.item_commitment_history) and the daily mart rims_analytics.daily_committed.
 * Both change in one transaction: the mart takes the difference the new history rows make, so
 * it must never see them twice nor miss them. Kept apart from merge.ts, which calls them under the
 * lease.
 */
import type { Dialect } from './dialect.js';
import { intArrayParam, timestampParam } from './params.js';
import type { QueryParam, QueryResult } from './warehouse/warehouse.js';

/** Statement files of the history steps, in the order a run applies them. */
export const HISTORY_STATEMENTS = {
  through: 'merge/065_daily_committed_through.sql',
  spans: 'merge/070_item_history_spans.sql',
  bounds: 'merge/071_item_history_bounds.sql',
  daily: 'merge/072_daily_committed.sql',
  history: 'merge/073_item_commitment_history.sql',
  advance: 'merge/074_daily_committed_through.sql',
} as const;

/** The full rebuild of history from Core, a SELECT (what the maintained table must equal). */
export const HISTORY_REBUILT = 'history/rebuilt.sql';

/** Runs one statement of the run under its lease (renewed first), returning its result. */
export type RunStep = (path: string, values: Record<string, QueryParam>) => Promise<QueryResult>;

/** Runs statements of the run as one transaction under its lease, returning the rows each changed. */
export type RunTransaction = (
  steps: readonly { path: string; values: Record<string, QueryParam> }[],
) => Promise<readonly number[]>;

const DAY_MS = 86_400_000;
const EPOCH = new Date(0);

/**
 * Whether a warehouse keeps rims_core.item_history_spans (merge/070, 071): BigQuery, where the
 * earliest event time of the touched items is the constant lower bound on the history and Core
 * partitions a run reads. DuckDB has no partitions, so it keeps none and reads from the epoch.
 *
 * @example usesHistorySpans('bigquery') // true
 */
export const usesHistorySpans = (dialect: Dialect): boolean => dialect === 'bigquery';

/** Midnight UTC of the day `date` falls on. */
export const startOfUtcDay = (date: Date): Date => new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);

/** What a chunk merged, as the history steps need it. */
export interface MergedWindow {
  /** The chunk's end: daily_committed holds at least up to its day afterwards. */
  readonly to: Date;
  /**
   * The latest event time the chunk merged (undefined when it merged none): the mart is kept up to
   * its day too, so that no history row ever begins after the last day held.
   */
  readonly maxTime?: Date | undefined;
}

/**
 * Brings history and daily_committed up to what a chunk merged. When the chunk merged events
 * (`bounded` holds the window query's `min_time`, `max_time` and on BigQuery `buckets`), BigQuery
 * records the touched items' earliest event times (spans) and reads the earliest as the lower
 * bound (see {@link usesHistorySpans}). Then, in one transaction, it adds to daily_committed the
 * difference the touched items' recomputed history makes (carrying the last day held forward to
 * new days), merges that history, and advances the last day held. Without events only the
 * carrying forward happens.
 *
 * @example
 * const statements = statementRunner(warehouse, DEFAULT_DATASETS);
 * const at = { type: 'TIMESTAMP', value: new Date() } as const;
 * const change = await maintainHistory(
 *   {
 *     step: (path, values) => statements.run(path, values),
 *     transaction: async (steps) => (await statements.transaction(steps)).affectedRows,
 *     dialect: warehouse.dialect,
 *   },
 *   { window_from: at, window_to: at, holder: { type: 'STRING', value: 'my-run' } },
 *   { to: new Date() },
 * );
 */
export async function maintainHistory(
  run: { readonly step: RunStep; readonly transaction: RunTransaction; readonly dialect: Dialect },
  bounded: Record<string, QueryParam>,
  window: MergedWindow,
): Promise<HistoryChange> {
  const held = (await run.step(HISTORY_STATEMENTS.through, bounded)).rows[0]?.through_day;
  const daysPrev = held instanceof Date ? startOfUtcDay(held) : undefined;
  let historyFrom: Date | undefined;
  if (window.maxTime && !usesHistorySpans(run.dialect)) historyFrom = EPOCH;
  else if (window.maxTime) {
    await run.step(HISTORY_STATEMENTS.spans, bounded);
    const bounds = await run.step(HISTORY_STATEMENTS.bounds, bounded);
    const from = bounds.rows[0]?.history_from;
    // No span: Core took no new event (the window only re-read its lookback), or the lease was lost
    // (every statement is fenced, so the transaction below changes nothing either).
    if (from instanceof Date) historyFrom = from;
  }
  const days = heldDays({ daysPrev, to: window.to, maxTime: window.maxTime, historyFrom });
  const values: Record<string, QueryParam> = {
    // Without events in the window, bounds that take no Core event (fragments/touched_events.sql).
    min_time: timestampParam(window.to),
    max_time: timestampParam(window.to),
    buckets: intArrayParam([]),
    ...bounded,
    history_from: timestampParam(historyFrom ?? window.to),
    days_prev: { type: 'TIMESTAMP', value: daysPrev ?? null },
    days_through: timestampParam(days.through),
    days_floor: timestampParam(days.floor),
  };
  const [dailyChanged = 0, changed = 0] = await run.transaction([
    { path: HISTORY_STATEMENTS.daily, values },
    { path: HISTORY_STATEMENTS.history, values },
    { path: HISTORY_STATEMENTS.advance, values },
  ]);
  return { changed, dailyChanged, historyFrom };
}

/**
 * The days a chunk's history transaction works on (midnight UTC of each): `through`, the last day
 * daily_committed holds afterwards (never earlier than before, the chunk's end or its latest event
 * time), and `floor`, the earliest day it can change (the day of the touched items' earliest event,
 * or the first new day).
 *
 * @example heldDays({ daysPrev: new Date('2026-11-29'), to: new Date('2026-11-30T10:00:00Z') })
 */
export function heldDays(options: {
  daysPrev?: Date | undefined;
  to: Date;
  maxTime?: Date | undefined;
  historyFrom?: Date | undefined;
}): { through: Date; floor: Date } {
  const through = Math.max(
    options.daysPrev?.getTime() ?? 0,
    startOfUtcDay(options.to).getTime(),
    options.maxTime ? startOfUtcDay(options.maxTime).getTime() : 0,
  );
  const firstNew = options.daysPrev ? options.daysPrev.getTime() + DAY_MS : through;
  const floor = Math.min(firstNew, startOfUtcDay(options.historyFrom ?? options.to).getTime());
  return { through: new Date(through), floor: new Date(floor) };
}

/** What {@link maintainHistory} did. */
export interface HistoryChange {
  /** History rows inserted or updated. */
  readonly changed: number;
  /** daily_committed rows inserted, updated or deleted. */
  readonly dailyChanged: number;
  /**
   * The lower bound the rewrite used: on BigQuery the earliest event time of the touched items
   * (071), on DuckDB the epoch; later steps on their history (drift detection) read from it.
   * Undefined when the chunk merged no event.
   */
  readonly historyFrom: Date | undefined;
}
