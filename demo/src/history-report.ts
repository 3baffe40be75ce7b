/**
 * What the demo prints about history and freshness: the committed items as of 10 seconds ago
 * beside now (rims_analytics.item_commitment_as_of against State), and how far behind the live view
 * (State plus the raw rows landed since the last merge) and State itself were.
 */
import type { Warehouse } from '@rims/merger';

/** How old the newest visible event was, right after a landing and before its merge. */
export interface LagSample {
  /** In rims_analytics.item_commitment_live. */
  readonly liveMs: number;
  /** In rims_core.item_commitment_state. */
  readonly mergedMs: number;
}

/**
 * Measures both lags now: called between landing and merging, when the live view already shows
 * what the merge has not applied yet.
 *
 * @example samples.push(await measureLag(warehouse));
 */
export async function measureLag(warehouse: Warehouse): Promise<LagSample> {
  const { rows } = await warehouse.query(
    `SELECT (SELECT max(last_event_time) FROM rims_analytics.item_commitment_live) AS live,
            (SELECT max(last_event_time) FROM rims_core.item_commitment_state) AS merged`,
    { statement: 'demo: live and merged lag' },
  );
  const now = Date.now();
  const age = (value: unknown) => (value instanceof Date ? now - value.getTime() : Number.NaN);
  return { liveMs: age(rows[0]?.live), mergedMs: age(rows[0]?.merged) };
}

const median = (values: readonly number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};
const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : 'n/a');

/** The lines the demo prints: the as-of comparison and the lags. */
export async function historyReport(warehouse: Warehouse, lags: readonly LagSample[]): Promise<string[]> {
  const { rows } = await warehouse.query(
    `WITH before AS (
       SELECT * FROM rims_analytics.item_commitment_as_of(current_timestamp - INTERVAL 10 SECOND)
     )
     SELECT
       (SELECT count(*) FROM before WHERE is_potentially_committed) AS committed_before,
       (SELECT coalesce(sum(quantity), 0) FROM before WHERE is_potentially_committed) AS quantity_before,
       (SELECT count(*) FROM rims_core.item_commitment_state WHERE is_potentially_committed) AS committed_now,
       (SELECT coalesce(sum(quantity), 0) FROM rims_core.item_commitment_state WHERE is_potentially_committed) AS quantity_now,
       (SELECT count(*) FROM rims_core.item_commitment_state s LEFT JOIN before b USING (item_id)
         WHERE b.version IS DISTINCT FROM s.version) AS changed,
       (SELECT count(*) FROM rims_core.item_commitment_history) AS versions`,
    { statement: 'demo: as of 10 seconds ago' },
  );
  const row = rows[0] ?? {};
  const n = (key: string) => String(Number(row[key] ?? 0));
  return [
    `history: ${n('versions')} versions in rims_core.item_commitment_history`,
    `as of 10 seconds ago: ${n('committed_before')} items potentially committed (${n('quantity_before')} units); now: ${n('committed_now')} (${n('quantity_now')} units); ${n('changed')} items changed since`,
    lags.length === 0
      ? 'live view: no landing measured'
      : `lag right after each landing (median of ${String(lags.length)}): live view ${seconds(median(lags.map((lag) => lag.liveMs)))}, merged state ${seconds(median(lags.map((lag) => lag.mergedMs)))}`,
  ];
}
