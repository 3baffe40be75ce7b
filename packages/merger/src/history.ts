/**
 * The history steps of a merge run: after State, the commitment history of the items the run
 * touched (rims_core.item_commitment_history) and the daily mart rims_analytics.daily_committed
 * for the days the run can have changed. Kept apart from merge.ts, which calls them under the lease.
 */
import { timestampParam } from './params.js';
import type { QueryParam, QueryResult } from './warehouse/warehouse.js';

/** Statement files of the history steps, in the order a run applies them. */
export const HISTORY_STATEMENTS = {
  spans: 'merge/070_item_history_spans.sql',
  bounds: 'merge/071_item_history_bounds.sql',
  history: 'merge/072_item_commitment_history.sql',
  daily: 'merge/073_daily_committed.sql',
} as const;

/** The full rebuild of history from Core, a SELECT (what the maintained table must equal). */
export const HISTORY_REBUILT = 'history/rebuilt.sql';

/** Runs one statement of the run under its lease (renewed first), returning its result. */
export type RunStep = (path: string, values: Record<string, QueryParam>) => Promise<QueryResult>;

const DAY_MS = 86_400_000;

/** Midnight UTC of the day `date` falls on. */
export const startOfUtcDay = (date: Date): Date => new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);

/**
 * Rewrites the history of the items a chunk touched, from Core: records their earliest event time
 * (spans), reads the earliest of the touched items as the lower bound, then merges their
 * recomputed rows. `bounded` holds the run's parameters with the window query's `min_time`,
 * `max_time` (and on BigQuery `buckets`). Returns the history rows inserted or updated and the
 * lower bound it read from.
 *
 * @example
 * const statements = statementRunner(warehouse, DEFAULT_DATASETS);
 * const at = { type: 'TIMESTAMP', value: new Date() } as const;
 * const { changed, historyFrom } = await maintainHistory((path, values) => statements.run(path, values), {
 *   ...{ window_from: at, window_to: at, min_time: at, max_time: at },
 *   holder: { type: 'STRING', value: 'my-run' },
 * });
 */
export async function maintainHistory(
  step: RunStep,
  bounded: Record<string, QueryParam>,
): Promise<HistoryChange> {
  await step(HISTORY_STATEMENTS.spans, bounded);
  const bounds = await step(HISTORY_STATEMENTS.bounds, bounded);
  const historyFrom = bounds.rows[0]?.history_from;
  // No span: the lease was lost before the spans MERGE applied (it is fenced), so nothing to do.
  if (!(historyFrom instanceof Date)) return { changed: 0, historyFrom: undefined };
  const result = await step(HISTORY_STATEMENTS.history, {
    ...bounded,
    history_from: timestampParam(historyFrom),
  });
  return { changed: result.affectedRows, historyFrom };
}

/** What {@link maintainHistory} did. */
export interface HistoryChange {
  /** History rows inserted or updated. */
  readonly changed: number;
  /**
   * The lower bound the rewrite used (071): the earliest event time of the touched items; later
   * steps on their history (drift detection) read from it. Undefined when nothing was rewritten.
   */
  readonly historyFrom: Date | undefined;
}

/**
 * The days whose end-of-day commitment a chunk can have changed: from the earliest of the event
 * times it merged and the last watermark (days without any event still need their row), to the
 * day of the chunk's end.
 */
export function touchedDays(options: { minTime?: Date; since: Date; to: Date }): { from: Date; to: Date } {
  const earliest =
    options.minTime && options.minTime.getTime() < options.since.getTime() ? options.minTime : options.since;
  const to = startOfUtcDay(options.to);
  const from = startOfUtcDay(earliest);
  return { from: from.getTime() > to.getTime() ? to : from, to };
}

/**
 * Recomputes rims_analytics.daily_committed for the days `[from, to]` (midnight UTC of each) from
 * history. Returns the rows inserted, updated or deleted.
 *
 * @example
 * const statements = statementRunner(warehouse, DEFAULT_DATASETS);
 * const days = touchedDays({ since: new Date(Date.now() - 3_600_000), to: new Date() });
 * await maintainDailyCommitted((path, values) => statements.run(path, values), {
 *   holder: { type: 'STRING', value: 'my-run' },
 * }, days);
 */
export async function maintainDailyCommitted(
  step: RunStep,
  values: Record<string, QueryParam>,
  days: { from: Date; to: Date },
): Promise<number> {
  const result = await step(HISTORY_STATEMENTS.daily, { ...values, ...daysParams(days) });
  return result.affectedRows;
}

/** The parameters of merge/073_daily_committed.sql for the days `[from, to]`. */
export function daysParams(days: { from: Date; to: Date }): Record<string, QueryParam> {
  return {
    days_from: timestampParam(days.from),
    days_to: timestampParam(days.to),
    days_until: timestampParam(new Date(days.to.getTime() + DAY_MS)),
  };
}
