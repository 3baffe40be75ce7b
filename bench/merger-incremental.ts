/**
 * bench/merger-incremental: does an incremental merge cost follow the new data, not the size of State?
 *
 * Two DuckDB warehouses hold a State of 50,000 and of 5,000,000 items (raw, core with one event per
 * item, state and a successful run, generated inside DuckDB with SQL, ordered by publish time as
 * landing leaves them). Each then gets the same new delta per round (10,000 events on 10,000 items
 * spread over the whole item space) and an incremental `runMerge` (lookback 2d); rounds alternate
 * between the two. The median round is compared across the two sizes (target <= 1.2); median,
 * minimum and maximum are written. Baseline in the same run: a full rebuild of core and state from
 * all of the large warehouse's raw events, as reporting tables are rebuilt today (target:
 * incremental <= 0.1 of it). DuckDB State moves its recent changes into its base every tenth of
 * State (ddl/030): one such compaction of the large State is timed, and its share per run added.
 *
 * Usage: pnpm bench:merger-incremental [--large 5000000] [--small 50000] [--delta 10000] [--rounds 7]
 * Writes bench/results/merger-incremental.json.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_DATASETS,
  MergeLease,
  STATE_COMPACTION_MIN_ROWS,
  openDuckDbWarehouse,
  provisionWarehouse,
  runMerge,
  statementRunner,
  type QueryOptions,
  type Warehouse,
} from '../packages/merger/dist/index.js';
import { DAY, HOUR, T, generatePastMerges, generateRaw } from './merger-bench-data.js';
import { percentile, ratio, writeResults } from './results.js';

const { values } = parseArgs({
  options: {
    large: { type: 'string', default: '5000000' },
    small: { type: 'string', default: '50000' },
    delta: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '7' },
  },
});
const LARGE = Number(values.large);
const SMALL = Number(values.small);
const DELTA = Number(values.delta);
const ROUNDS = Number(values.rounds);
const LOOKBACK = 2 * DAY;

/** Time spent per SQL file during incremental rounds, to show where a run's time goes. */
const statementMs = new Map<string, number[]>();

/** The warehouse, recording how long each statement takes. */
function timed(warehouse: Warehouse): Warehouse {
  return {
    ...warehouse,
    async query(sql: string, options?: QueryOptions) {
      const started = performance.now();
      try {
        return await warehouse.query(sql, options);
      } finally {
        const name = options?.statement ?? 'other';
        statementMs.set(name, [...(statementMs.get(name) ?? []), performance.now() - started]);
      }
    },
  };
}

/** Lands round `round`'s delta and times the incremental run that merges it. */
async function incrementalRound(warehouse: Warehouse, items: number, round: number): Promise<number> {
  const now = new Date(T.getTime() + round * HOUR);
  await generateRaw(warehouse, {
    prefix: `d${String(round)}-`,
    // Each round a different stretch of the item space, the same number of distinct items.
    first: round * DELTA,
    count: DELTA,
    items,
    from: new Date(now.getTime() - 30 * 60_000),
    to: now,
    // Higher than any history sequence, so every delta event applies.
    sequenceBase: 1_000_000 + round * 1_000,
  });
  // Landing's own writes are checkpointed before the clock starts, as a lander's commits would be.
  await warehouse.query('CHECKPOINT');
  const started = performance.now();
  const report = await runMerge(timed(warehouse), { now, lookbackMs: LOOKBACK });
  const elapsed = performance.now() - started;
  const chunk = report.chunks[0];
  if (report.outcome !== 'succeeded' || chunk?.coreInserted !== DELTA) {
    throw new Error(`round ${String(round)} did not merge its delta: ${JSON.stringify(report)}`);
  }
  return elapsed;
}

/** Moves State's recent changes into its base (the three steps a due run takes), timed. */
async function compactState(warehouse: Warehouse): Promise<number> {
  const holder = 'bench-compaction';
  const lease = new MergeLease(warehouse, DEFAULT_DATASETS, holder, 15 * 60_000);
  if (!(await lease.tryAcquire())) throw new Error('the merge lease is held');
  const statements = statementRunner(warehouse, DEFAULT_DATASETS);
  const started = performance.now();
  for (const step of [
    'state/010_delete_superseded.sql',
    'state/020_insert_recent.sql',
    'state/030_delete_absorbed.sql',
  ])
    await statements.run(step, { holder: { type: 'STRING', value: holder } });
  await warehouse.query('CHECKPOINT');
  const elapsed = performance.now() - started;
  await lease.release();
  return elapsed;
}

const dir = mkdtempSync(join(tmpdir(), 'rims-bench-merger-'));
const sizes = { small: SMALL, large: LARGE } as const;
type Size = keyof typeof sizes;
const warehouses: Partial<Record<Size, Warehouse>> = {};
try {
  for (const name of Object.keys(sizes) as Size[]) {
    const warehouse = await openDuckDbWarehouse(join(dir, `${name}.duckdb`));
    warehouses[name] = warehouse;
    await provisionWarehouse(warehouse);
    const generated = performance.now();
    await generatePastMerges(warehouse, sizes[name]);
    await warehouse.query('CHECKPOINT');
    console.log(
      `${name}: State of ${String(sizes[name])} items generated in ${String(Math.round(performance.now() - generated))} ms`,
    );
  }
  // Rounds alternate between the two warehouses, so drift (a busy neighbour, the page cache) hits both alike.
  const incremental: Record<Size, number[]> = { small: [], large: [] };
  const breakdown: Record<string, Record<string, number>> = {};
  const perSize: Record<Size, Map<string, number[]>> = { small: new Map(), large: new Map() };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of Object.keys(sizes) as Size[]) {
      const warehouse = warehouses[name];
      if (!warehouse) throw new Error(`no ${name} warehouse`);
      statementMs.clear();
      incremental[name].push(await incrementalRound(warehouse, sizes[name], round));
      for (const [statement, samples] of statementMs) {
        perSize[name].set(statement, [...(perSize[name].get(statement) ?? []), ...samples]);
      }
    }
  }
  for (const name of Object.keys(sizes) as Size[]) {
    breakdown[name] = Object.fromEntries(
      [...perSize[name]].map(([statement, samples]) => [statement, percentile(samples, 50)]),
    );
    console.log(`${name}: incremental rounds ${incremental[name].map((ms) => ms.toFixed(0)).join(', ')} ms`);
    console.log(`${name}: p50 ms per statement ${JSON.stringify(breakdown[name])}`);
  }

  const large = warehouses.large;
  if (!large) throw new Error('no large warehouse');
  // DuckDB State: recent changes move into the base once they number a tenth of it (ddl/030). Runs
  // in between pay that move spread over them: time one on the large warehouse, now.
  const compactionMs = await compactState(large);
  const runsPerCompaction = Math.ceil(Math.max(STATE_COMPACTION_MIN_ROWS, LARGE / 10) / DELTA);
  const amortizedCompactionMs = compactionMs / runsPerCompaction;
  console.log(
    `large: compaction ${compactionMs.toFixed(0)} ms, every ${String(runsPerCompaction)} runs: ${amortizedCompactionMs.toFixed(0)} ms a run`,
  );

  // Baseline: what a rebuild from scratch costs on the same data.
  await large.query('DELETE FROM rims_core.item_events');
  await large.query('DELETE FROM rims_core.item_commitment_state_base');
  await large.query('DELETE FROM rims_core.item_commitment_state_recent');
  await large.query('DELETE FROM rims_core.merge_runs');
  await large.query('CHECKPOINT');
  const to = new Date(T.getTime() + (ROUNDS + 1) * HOUR);
  const started = performance.now();
  const rebuild = await runMerge(large, { from: new Date(0), to, chunkMs: to.getTime() });
  const rebuildMs = performance.now() - started;
  const rebuildRows = rebuild.chunks[0]?.coreInserted ?? 0;
  console.log(`large: full rebuild of ${String(rebuildRows)} events in ${rebuildMs.toFixed(0)} ms`);

  const files: Record<string, number> = {};
  for (const name of Object.keys(sizes) as Size[]) {
    await warehouses[name]?.query('CHECKPOINT');
    files[name] = statSync(join(dir, `${name}.duckdb`)).size;
  }
  const summary = (samples: readonly number[]) => ({
    p50: percentile(samples, 50),
    min: Math.round(Math.min(...samples) * 10) / 10,
    max: Math.round(Math.max(...samples) * 10) / 10,
    samples: samples.map((ms) => Math.round(ms)),
  });
  const smallP50 = percentile(incremental.small, 50);
  const largeP50 = percentile(incremental.large, 50);
  writeResults('merger-incremental', {
    warehouse: 'duckdb',
    state_items: sizes,
    delta_events_per_round: DELTA,
    rounds: ROUNDS,
    lookback: '2d',
    incremental_ms: {
      state_small: summary(incremental.small),
      state_large: summary(incremental.large),
    },
    incremental_p50_ms_per_statement: breakdown,
    full_rebuild_large: { ms: Math.round(rebuildMs), events: rebuildRows },
    state_compaction_large: {
      ms: Math.round(compactionMs),
      runs_between: runsPerCompaction,
      amortized_ms_per_run: Math.round(amortizedCompactionMs),
    },
    database_bytes: files,
    ratios: {
      incremental_large_vs_small_state: ratio(largeP50, smallP50),
      incremental_large_with_amortized_compaction_vs_small_state: ratio(
        largeP50 + amortizedCompactionMs,
        smallP50,
      ),
      incremental_vs_full_rebuild_large: ratio(largeP50, rebuildMs),
    },
    targets: {
      incremental_large_vs_small_state: 1.2,
      incremental_large_with_amortized_compaction_vs_small_state: 1.2,
      incremental_vs_full_rebuild_large: 0.1,
    },
  });
} finally {
  for (const warehouse of Object.values(warehouses)) await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
