#!/usr/bin/env node
/**
 * `pnpm demo`: the whole RIMS commitment pipeline locally. A sample inventory application commits,
 * releases, fulfils and cancels items through @rims/outbox; the relay publishes to the Pub/Sub
 * emulator; the lander and the merger fold the events into DuckDB; live progress is shown; at the
 * end the potentially-committed items are printed and the warehouse is reconciled with PostgreSQL.
 *
 *   pnpm demo [--items 300] [--events-per-second 40] [--duration 30s] [--seed N] [--database rims_demo]
 *             [--existing-items N]
 *
 * With `--existing-items N` the application starts with N more items that predate the outbox (no
 * event was ever written for them); a backfill (`runBackfill`, what `rims-outbox backfill` runs)
 * snapshots every item while the traffic goes on, and the report shows them bootstrapped.
 *
 * The warehouse is `.data/demo/warehouse.duckdb` under the working directory (recreated).
 *
 * Exit status: 0 when the warehouse equals PostgreSQL, 1 when it does not or something failed,
 * 2 for bad flags, 130 after Ctrl-C (everything stopped).
 */
import { historyReport } from './history-report.js';
import { backfillItems, bootstrappedLine, describeBackfill } from './bootstrap.js';
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, durationSchema, parseConfig } from '@rims/schemas';
import { runMerge, runAudit, runCheck } from '@rims/merger';
import { startLocalPipeline, type LocalPipeline } from './local-pipeline.js';
import { renderProgress, renderTable } from './progress.js';
import { describeReconciliation, postgresTruth, reconcile, warehouseState } from './reconcile.js';
import { runTraffic, type TrafficStats } from './traffic.js';

const demoConfigSchema = z.object({
  items: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(300)
    .describe('a whole number of items, 1 to 100000'),
  'events-per-second': z.coerce
    .number()
    .positive()
    .max(5_000)
    .default(40)
    .describe('changes per second, above 0 and at most 5000'),
  duration: durationSchema.default(30_000).describe('how long traffic runs, such as 30s or 2m'),
  seed: z.coerce.number().int().min(0).default(randomInt(1, 1_000_000)).describe('a whole number'),
  'existing-items': z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(0)
    .describe('a whole number of items that predate the outbox, 0 to 1000000'),
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain PostgreSQL database name')
    .default('rims_demo')
    .describe('a database name such as rims_demo (it is dropped and recreated)'),
});

function readFlags(): z.output<typeof demoConfigSchema> {
  const { values } = parseArgs({
    options: {
      items: { type: 'string' },
      'events-per-second': { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      database: { type: 'string' },
      'existing-items': { type: 'string' },
    },
    strict: true,
  });
  return parseConfig(demoConfigSchema, values);
}

async function main(): Promise<number> {
  // Everything is local: keep the Google client libraries from probing for a GCE metadata server.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  let flags: z.output<typeof demoConfigSchema>;
  try {
    flags = readFlags();
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof TypeError ? error.message : error);
    console.error(
      'usage: pnpm demo [--items 300] [--events-per-second 40] [--duration 30s] [--seed N] [--database rims_demo] [--existing-items N]',
    );
    return 2;
  }

  const interrupted = new AbortController();
  // A function, not the property: the flag changes while this function awaits.
  const wasInterrupted = () => interrupted.signal.aborted;
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    console.log('\nstopping (Ctrl-C again to quit at once) ...');
    interrupted.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  console.log(
    `RIMS demo: ${String(flags.items)} items, ${String(flags['events-per-second'])} changes/s for ${String(flags.duration / 1000)}s, seed ${String(flags.seed)}`,
  );
  const existingItems = flags['existing-items'];
  const pipeline = await startLocalPipeline({
    items: flags.items,
    existingItems,
    warehouseFile: resolve('.data/demo/warehouse.duckdb'),
    database: flags.database,
    mergeEveryMs: 2_000,
  });
  console.log(
    `PostgreSQL (${pipeline.postgres.origin}) database ${flags.database}; Pub/Sub emulator (${pipeline.emulator.origin}) at ${pipeline.emulator.host}; DuckDB ${pipeline.warehouse.description}`,
  );

  let written = 0;
  const started = Date.now();
  const progress = setInterval(() => {
    process.stdout.write(`${renderProgress(Date.now() - started, written, pipeline.counts)}\n`);
  }, 1_000);
  try {
    // Going live: the backfill snapshots every item while the application keeps changing them.
    const backfilling =
      existingItems > 0 ? backfillItems(pipeline.databaseUrl, interrupted.signal) : undefined;
    const stats = await runTraffic(pipeline.inventory, {
      items: [...pipeline.itemIds, ...pipeline.existing.available],
      seed: flags.seed,
      eventsPerSecond: flags['events-per-second'],
      durationMs: flags.duration,
      signal: interrupted.signal,
      onApplied: () => {
        written += 1;
      },
    });
    const backfilled = await backfilling;
    if (backfilled) console.log(describeBackfill(backfilled, existingItems));
    if (wasInterrupted()) return 130;
    await finish(pipeline, stats, interrupted.signal);
    clearInterval(progress);
    return wasInterrupted() ? 130 : await report(pipeline, stats);
  } finally {
    clearInterval(progress);
    await pipeline.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (interrupted.signal.aborted)
      console.log('stopped: relay, lander, merger, connections and the emulator');
  }
}

/** Waits until every written event is published, landed and merged. */
async function finish(pipeline: LocalPipeline, stats: TrafficStats, signal: AbortSignal): Promise<void> {
  console.log(`traffic done: ${String(stats.applied)} changes; waiting for the pipeline to catch up ...`);
  const deadline = Date.now() + 120_000;
  while (!signal.aborted && (await pipeline.backlog()) > 0) {
    if (Date.now() > deadline) throw new Error('the relay did not publish the backlog within 2 minutes');
    await sleep(200);
  }
  // One more cycle lands and merges whatever was published last.
  await pipeline.settle();
}

async function report(pipeline: LocalPipeline, stats: TrafficStats): Promise<number> {
  const { warehouse } = pipeline;
  // A final run and the audit over the whole demo.
  await runMerge(warehouse, { lookbackMs: 24 * 3_600_000 });
  const audit = await runAudit(warehouse, { lookbackMs: 24 * 3_600_000 });
  const committed = await warehouse.query(
    `SELECT item_id, order_id, sku, quantity, location_id, last_event_time
     FROM rims_analytics.potentially_committed_items ORDER BY last_event_time DESC LIMIT 10`,
    { statement: 'demo: potentially committed items' },
  );
  const total = await warehouse.query(
    `SELECT count(*) AS n FROM rims_analytics.potentially_committed_items`,
    {
      statement: 'demo: count potentially committed items',
    },
  );

  console.log('');
  console.log(
    `changes written: ${String(stats.applied)} (committed ${String(stats.byType.committed)}, released ${String(stats.byType.released)}, fulfilled ${String(stats.byType.fulfilled)}, cancelled ${String(stats.byType.cancelled)})`,
  );
  console.log(
    `published: ${String(pipeline.counts.published)} · landed: ${String(pipeline.counts.landed)} · merged into core: ${String(pipeline.counts.merged)} · merge cycles: ${String(pipeline.counts.cycles)}`,
  );
  console.log('');
  console.log(
    `rims_analytics.potentially_committed_items: ${String(Number(total.rows[0]?.n ?? 0))} items (newest 10):`,
  );
  console.log(renderTable(committed.rows));
  console.log('');
  console.log(
    `audit: ${audit.clean ? 'clean' : `NOT clean (${JSON.stringify({ gaps: audit.gaps.length, subjects: audit.subjects.length, behindLookback: audit.behindLookback.length })})`}`,
  );
  console.log(await heartbeatLine(pipeline));
  if (pipeline.existing.ids.length > 0) {
    console.log(await bootstrappedLine(warehouse, pipeline.existing.ids.length));
  }
  console.log('');
  for (const line of await historyReport(warehouse, pipeline.counts.lags)) console.log(line);
  const reconciliation = reconcile(await postgresTruth(pipeline.db), await warehouseState(warehouse));
  console.log(describeReconciliation(reconciliation));
  return reconciliation.ok && audit.clean ? 0 : 1;
}

/** The end-to-end lag of the newest relay heartbeat that reached Core (what `rims-merger check` measures). */
async function heartbeatLine(pipeline: LocalPipeline): Promise<string> {
  const check = await runCheck(pipeline.warehouse, { maxLagMs: 60_000 });
  const figure = (name: string) => check.checks.find((line) => line.name === name)?.value ?? null;
  const lag = figure('heartbeat-lag');
  const age = figure('heartbeat-age');
  return lag === null || age === null
    ? 'heartbeat lag: no relay heartbeat reached rims_core.pipeline_heartbeats yet'
    : `heartbeat lag (outbox commit -> rims_core): ${lag.toFixed(3)} s; newest heartbeat ${age.toFixed(1)} s old`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
