/**
 * bench/merger-history: what history maintenance (merge/065-074: the last day held, and the
 * transaction of the daily_committed change, the history MERGE and the last day held) adds
 * to an incremental run, over a 5,000,000-event history on DuckDB.
 *
 * One DuckDB warehouse holds 5,000,000 events on as many items (raw, Core, State, history,
 * daily_committed for every day and the last day held, and a successful run, generated inside
 * DuckDB with SQL, ordered by time as merges leave them).
 * Each round lands 10,000 new events on 10,000 items spread over the item space and times one
 * incremental `runMerge`. Baseline in the same run: the same run's time less the time of its
 * history statements (what the run took before this feature). Target: run / baseline <= 1.5
 * (median over rounds; min and max written). Then a rebuild check: history/rebuilt.sql over all
 * of Core must give the maintained table exactly (rows missing on either side are counted), and
 * daily_committed must equal the end-of-day as-of state of every day it holds.
 *
 * Usage: pnpm bench:merger-history [--events 5000000] [--delta 10000] [--rounds 5]
 * Writes bench/results/merger-history.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_DATASETS,
  HISTORY_REBUILT,
  HISTORY_STATEMENTS,
  openDuckDbWarehouse,
  provisionWarehouse,
  renderStatement,
  runMerge,
  type QueryOptions,
  type TransactionOptions,
  type TransactionStatement,
  type Warehouse,
} from '../packages/merger/dist/index.js';
import { DAY, HISTORY_FROM, HOUR, T, generatePastMerges, generateRaw, ts } from './merger-bench-data.js';
import { percentile, spread, writeResults } from './results.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000000' },
    delta: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
  },
});
const EVENTS = Number(values.events);
const DELTA = Number(values.delta);
const ROUNDS = Number(values.rounds);

/** What past merges left: one event per item in raw and Core, State, history, daily rows, a run. */
async function generateHistory(warehouse: Warehouse): Promise<void> {
  await generatePastMerges(warehouse, EVENTS);
  const rebuilt = renderStatement('duckdb', HISTORY_REBUILT, DEFAULT_DATASETS).replace(/;\s*$/, '');
  await warehouse.query(
    `INSERT INTO rims_core.item_commitment_history SELECT * FROM (${rebuilt}) ORDER BY valid_from`,
  );
  // daily_committed as runs left it: every day up to the last run's. Each item has one row, open
  // ever since its event, so a day's count is every committed row that began by its end.
  await warehouse.query(
    `INSERT INTO rims_analytics.daily_committed
     WITH started AS (
       SELECT CAST(valid_from AS DATE) AS day, location_id, sku, count(*) AS items, sum(quantity) AS quantity
       FROM rims_core.item_commitment_history WHERE is_potentially_committed GROUP BY ALL
     ),
     days AS (
       SELECT CAST(unnest(generate_series(CAST($from AS DATE), CAST($to AS DATE), INTERVAL 1 DAY)) AS DATE) AS day
     ),
     grid AS (
       SELECT d.day, k.location_id, k.sku FROM days d, (SELECT DISTINCT location_id, sku FROM started) k
     )
     SELECT day, location_id, sku, items, quantity FROM (
       SELECT g.day, g.location_id, g.sku,
              sum(coalesce(s.items, 0)) OVER w AS items, sum(coalesce(s.quantity, 0)) OVER w AS quantity
       FROM grid g LEFT JOIN started s USING (day, location_id, sku)
       WINDOW w AS (PARTITION BY g.location_id, g.sku ORDER BY g.day)
     ) WHERE items > 0 ORDER BY day`,
    { params: { from: ts(HISTORY_FROM), to: ts(new Date(T.getTime() - HOUR)) } },
  );
  await warehouse.query(
    `INSERT INTO rims_core.daily_committed_through VALUES ('item-commitment', CAST($to AS DATE))`,
    { params: { to: ts(new Date(T.getTime() - HOUR)) } },
  );
  await warehouse.query('CHECKPOINT');
}

const HISTORY_FILES = new Set<string>(Object.values(HISTORY_STATEMENTS));
let historyMs = 0;
/** Time per history statement over all rounds, to show where it goes. */
const perStatement = new Map<string, number[]>();

/** Adds `ms` to the history time, and to the samples of `step`. */
function count(step: string, ms: number): void {
  historyMs += ms;
  perStatement.set(step, [...(perStatement.get(step) ?? []), ms]);
}

/** The warehouse, adding the time of each history statement and transaction to `historyMs`. */
function timed(warehouse: Warehouse): Warehouse {
  return {
    ...warehouse,
    async query(sql: string, options?: QueryOptions) {
      const started = performance.now();
      try {
        return await warehouse.query(sql, options);
      } finally {
        const statement = options?.statement;
        if (statement && HISTORY_FILES.has(statement)) count(statement, performance.now() - started);
      }
    },
    async transaction(statements: readonly TransactionStatement[], options?: TransactionOptions) {
      const started = performance.now();
      try {
        return await warehouse.transaction(statements, options);
      } finally {
        if (statements.some((statement) => HISTORY_FILES.has(statement.statement)))
          count(
            `transaction of ${statements.map((s) => s.statement).join(', ')}`,
            performance.now() - started,
          );
      }
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rims-bench-history-'));
const warehouse = await openDuckDbWarehouse(join(dir, 'history.duckdb'));
try {
  await provisionWarehouse(warehouse);
  const generated = performance.now();
  await generateHistory(warehouse);
  console.log(
    `history of ${String(EVENTS)} events generated in ${String(Math.round(performance.now() - generated))} ms`,
  );
  const totals: number[] = [];
  const history: number[] = [];
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const now = new Date(T.getTime() + round * HOUR);
    await generateRaw(warehouse, {
      prefix: `d${String(round)}-`,
      first: round * DELTA,
      count: DELTA,
      items: EVENTS,
      from: new Date(now.getTime() - 30 * 60_000),
      to: now,
      // Each item's second event.
      sequenceBase: 1,
    });
    await warehouse.query('CHECKPOINT');
    historyMs = 0;
    const started = performance.now();
    const report = await runMerge(timed(warehouse), { now, lookbackMs: 2 * DAY });
    const total = performance.now() - started;
    const chunk = report.chunks[0];
    if (report.outcome !== 'succeeded' || chunk?.coreInserted !== DELTA || chunk.historyChanged !== 2 * DELTA)
      throw new Error(`round ${String(round)} did not merge its delta: ${JSON.stringify(report)}`);
    totals.push(total);
    history.push(historyMs);
    ratios.push(total / (total - historyMs));
    console.log(
      `round ${String(round)}: run ${total.toFixed(0)} ms, of which history ${historyMs.toFixed(0)} ms`,
    );
  }
  const rebuilt = renderStatement('duckdb', HISTORY_REBUILT, DEFAULT_DATASETS).replace(/;\s*$/, '');
  const checkStarted = performance.now();
  const { rows } = await warehouse.query(
    `SELECT (SELECT count(*) FROM (SELECT * FROM rims_core.item_commitment_history EXCEPT ALL SELECT * FROM (${rebuilt}))) AS only_maintained,
            (SELECT count(*) FROM (SELECT * FROM (${rebuilt}) EXCEPT ALL SELECT * FROM rims_core.item_commitment_history)) AS only_rebuilt,
            (SELECT count(*) FROM rims_core.item_commitment_history) AS history_rows`,
  );
  const daily = await warehouse.query(
    `WITH days AS (SELECT DISTINCT day FROM rims_analytics.daily_committed),
     expected AS (
       SELECT days.day, a.location_id, a.sku, count(*) AS items, sum(a.quantity) AS quantity
       FROM days, LATERAL (
         SELECT * FROM rims_analytics.item_commitment_as_of(days.day + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND)
       ) AS a
       WHERE a.is_potentially_committed
       GROUP BY ALL
     )
     SELECT (SELECT count(*) FROM (SELECT * FROM rims_analytics.daily_committed EXCEPT ALL SELECT * FROM expected)) AS daily_only_maintained,
            (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM rims_analytics.daily_committed)) AS daily_only_rebuilt,
            (SELECT count(*) FROM rims_analytics.daily_committed) AS daily_rows,
            (SELECT count(DISTINCT day) FROM rims_analytics.daily_committed) AS daily_days`,
  );
  const checkMs = performance.now() - checkStarted;
  const summary = (samples: readonly number[], digits = 1) => ({
    p50: percentile(samples, 50),
    min: Math.round(Math.min(...samples) * 10 ** digits) / 10 ** digits,
    max: Math.round(Math.max(...samples) * 10 ** digits) / 10 ** digits,
    samples: samples.map((value) => Math.round(value * 10 ** digits) / 10 ** digits),
  });
  const ratioSummary = summary(ratios, 3);
  writeResults('merger-history', {
    warehouse: 'duckdb',
    history_events: EVENTS,
    delta_events_per_round: DELTA,
    rounds: ROUNDS,
    run_ms: summary(totals),
    history_statements_ms: summary(history),
    history_p50_ms_per_statement: Object.fromEntries(
      [...perStatement].map(([statement, samples]) => [statement, percentile(samples, 50)]),
    ),
    // The median to 0.001: percentile() rounds to 0.1, which would hide a miss of the 1.5 target.
    run_vs_run_without_history: { ...ratioSummary, p50: spread(ratios).median },
    rebuild_check: { ms: Math.round(checkMs), ...rows[0], ...daily.rows[0] },
    ratios: { run_vs_run_without_history: spread(ratios).median },
    targets: { run_vs_run_without_history: 1.5 },
  });
} finally {
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
