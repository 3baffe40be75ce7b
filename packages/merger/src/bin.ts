#!/usr/bin/env node
/**
 * rims-merger: provision | land | run | sql | audit. The only place that reads the environment and
 * installs signal handlers; everything else is the library API.
 */
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { SingleBar } from 'cli-progress';
import { pino } from 'pino';
import { ConfigError, RimsError } from '@rims/schemas';
import { runAudit, type AuditReport } from './audit.js';
import { MERGER_SETTINGS, flagOf, loadMergerConfig, type MergerConfig } from './config.js';
import { DEFAULT_DATASETS } from './datasets.js';
import type { Dialect } from './dialect.js';
import { MergerConfigError } from './errors.js';
import { createLander, type Lander } from './lander.js';
import type { MergerLogger } from './logger.js';
import { runMerge, type MergeReport } from './merge.js';
import { provisionPubSub, provisionWarehouse, type ProvisionStep } from './provision.js';
import { createScheduler } from './schedule.js';
import { STATEMENT_FOLDERS, renderFolder, type RawTableOptions } from './statements.js';
import { openWarehouse } from './warehouse/open.js';
import { parseWarehouseUrl } from './warehouse/url.js';
import type { Warehouse } from './warehouse/warehouse.js';

const HELP = `Usage: rims-merger <command> [flags]

Commands
  provision   create the Pub/Sub topics and subscriptions and the warehouse tables (idempotent)
  land        pull the raw subscription into the DuckDB raw table (--once: until drained)
  run         merge raw -> core -> state for the lookback window (or --from/--to)
  sql         print the rendered SQL (--dialect bigquery|duckdb)
  audit       compare raw, core and state; report gaps and events behind the lookback

Flags (each overrides its environment variable)
  --warehouse-url URL           WAREHOUSE_URL         duckdb:///abs/path.duckdb | bigquery://PROJECT/LOCATION
  --pubsub-project-id ID        PUBSUB_PROJECT_ID     default rims-local
  --pubsub-topic NAME           PUBSUB_TOPIC          default rims-item-events
  --pubsub-subscription NAME    PUBSUB_SUBSCRIPTION   default rims-item-events-raw
  --pubsub-dead-letter-topic N  PUBSUB_DEAD_LETTER_TOPIC  default rims-item-events-dead-letter
  --pubsub-emulator-host H:P    PUBSUB_EMULATOR_HOST  the Pub/Sub emulator
  --lookback DURATION           MERGER_LOOKBACK       default 2d
  --every DURATION              MERGER_EVERY          run: repeat every DURATION until stopped
  --lease-ttl DURATION          MERGER_LEASE_TTL      default 15m
  --chunk DURATION              MERGER_CHUNK          repair chunk, default 1d
  --raw-partition DAY|HOUR      MERGER_RAW_PARTITION  default DAY
  --raw-partition-expiration D  MERGER_RAW_PARTITION_EXPIRATION  default 60d
  --max-delivery-attempts N     MERGER_MAX_DELIVERY_ATTEMPTS     default 5
  --batch-size N                MERGER_BATCH_SIZE     default 500
  --log-level LEVEL             LOG_LEVEL             default info
  --from TIME, --to TIME        run: repair window; audit: window (RFC 3339, or a duration ago: 7d)
  --dry-run                     provision, run: show what would happen, change nothing
  --once                        land: exit 0 once the subscription is drained
  --land                        run --every: land the subscription before each merge
  --only warehouse|pubsub       provision: one side only
  --dialect bigquery|duckdb     sql: the dialect (default: the warehouse's)
  --json                        run, audit, provision: print the report as JSON
  --limit N                     audit: most rows listed per finding, default 100

Exit status: 0 done (audit: clean), 1 failed (audit: findings), 2 bad configuration.`;

const EXIT = { ok: 0, failed: 1, config: 2 } as const;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function rawTableOptions(config: MergerConfig): RawTableOptions {
  return {
    partition: config.MERGER_RAW_PARTITION,
    partitionExpirationDays: config.MERGER_RAW_PARTITION_EXPIRATION / 86_400_000,
  };
}

function pubsubClient(config: MergerConfig): PubSub {
  return new PubSub({
    projectId: config.PUBSUB_PROJECT_ID,
    ...(config.PUBSUB_EMULATOR_HOST ? { apiEndpoint: config.PUBSUB_EMULATOR_HOST } : {}),
  });
}

/** Resolves when SIGTERM or SIGINT arrives; a second one exits at once. */
function untilSignal(logger: MergerLogger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping (send it again to exit at once)');
      process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
      resolve(signal);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

function printSteps(steps: readonly ProvisionStep[], dryRun: boolean): void {
  for (const step of steps) {
    out(`${step.status.padEnd(8)} ${step.target.padEnd(9)} ${step.action}`);
    if (dryRun && step.sql) out(`${step.sql.trimEnd()}\n`);
  }
}

function printRun(report: MergeReport): void {
  if (report.outcome === 'skipped') {
    out(`skipped: another run (${report.leaseHolder ?? 'unknown'}) holds the merge lease; nothing applied`);
    return;
  }
  const window = `[${report.windowFrom.toISOString()}, ${report.windowTo.toISOString()})`;
  out(`${report.outcome} ${report.mode} merge of ${window}`);
  for (const chunk of report.chunks) {
    const bytes = chunk.bytesProcessed === null ? '' : `, ${String(chunk.bytesProcessed)} bytes`;
    out(
      report.outcome === 'dry-run'
        ? `  ${chunk.windowFrom.toISOString()} .. ${chunk.windowTo.toISOString()}: ${String(chunk.rawRows)} raw rows (${String(chunk.validRows)} valid)${bytes} to be processed`
        : `  ${chunk.windowFrom.toISOString()} .. ${chunk.windowTo.toISOString()}: ${String(chunk.rawRows)} raw rows, +${String(chunk.coreInserted)} core, +${String(chunk.rejectedInserted)} rejected, ${String(chunk.stateChanged)} items changed${bytes}, ${String(chunk.durationMs)} ms`,
    );
  }
}

function printAudit(report: AuditReport): void {
  out(`audit of raw rows published in [${report.from.toISOString()}, ${report.to.toISOString()})`);
  out(`watermark ${report.watermark?.toISOString() ?? '(no successful run yet)'}`);
  for (const subject of report.subjects) out(`item ${subject.subject}: ${subject.problems.join('; ')}`);
  for (const gap of report.gaps)
    out(
      `gap: item ${gap.subject} misses sequences ${String(gap.missingFrom)}..${String(gap.missingTo)} in core`,
    );
  if (report.pendingCount > 0)
    out(
      `${String(report.pendingCount)} event(s) not merged yet, inside the next run's window (the next run merges them)`,
    );
  for (const event of report.behindLookback)
    out(
      `behind lookback: event ${event.id} (item ${event.subject}, sequence ${String(event.sequence)}) published ${event.publishTime.toISOString()}`,
    );
  if (report.behindLookbackCount > report.behindLookback.length)
    out(
      `behind lookback: showing ${String(report.behindLookback.length)} of ${String(report.behindLookbackCount)} events (--limit ${String(report.limit)}); the repair covers all of them`,
    );
  if (report.repair) out(`repair with: ${report.repair.command}`);
  for (const rejected of report.rejected) out(`rejected ${String(rejected.messages)}x: ${rejected.reason}`);
  out(report.clean ? 'clean' : 'findings: see above');
}

async function withWarehouse<T>(
  config: MergerConfig,
  work: (warehouse: Warehouse) => Promise<T>,
): Promise<T> {
  const warehouse = await openWarehouse(config.warehouseUrl);
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

async function provision(config: MergerConfig, flags: Flags): Promise<number> {
  const location = parseWarehouseUrl(config.warehouseUrl);
  const dryRun = flags['dry-run'] === true;
  const steps: ProvisionStep[] = [];
  // The BigQuery subscription needs its table first.
  if (config['--only'] !== 'pubsub') {
    steps.push(
      ...(await withWarehouse(config, (warehouse) =>
        provisionWarehouse(warehouse, { rawTable: rawTableOptions(config), dryRun }),
      )),
    );
  }
  if (config['--only'] !== 'warehouse') {
    const pubsub = pubsubClient(config);
    try {
      steps.push(
        ...(await provisionPubSub(pubsub, {
          topic: config.PUBSUB_TOPIC,
          deadLetterTopic: config.PUBSUB_DEAD_LETTER_TOPIC,
          subscription: config.PUBSUB_SUBSCRIPTION,
          kind: location.kind === 'bigquery' ? 'bigquery' : 'pull',
          ...(location.kind === 'bigquery'
            ? { bigQueryTable: `${location.projectId}.${DEFAULT_DATASETS.raw}.item_events` }
            : {}),
          maxDeliveryAttempts: config.MERGER_MAX_DELIVERY_ATTEMPTS,
          dryRun,
        })),
      );
    } finally {
      await pubsub.close();
    }
  }
  if (flags.json === true) out(JSON.stringify(steps, null, 2));
  else printSteps(steps, dryRun);
  return EXIT.ok;
}

function makeLander(
  config: MergerConfig,
  warehouse: Warehouse,
  pubsub: PubSub,
  logger: MergerLogger,
): Lander {
  return createLander({
    warehouse,
    pubsub,
    subscription: config.PUBSUB_SUBSCRIPTION,
    batchSize: config.MERGER_BATCH_SIZE,
    maxDeliveryAttempts: config.MERGER_MAX_DELIVERY_ATTEMPTS,
    logger,
  });
}

async function land(config: MergerConfig, flags: Flags, logger: MergerLogger): Promise<number> {
  return withWarehouse(config, async (warehouse) => {
    const pubsub = pubsubClient(config);
    const lander = makeLander(config, warehouse, pubsub, logger);
    try {
      if (flags.once === true) {
        const report = await lander.drain();
        out(
          `landed ${String(report.landed)} row(s); dead-lettered ${String(report.deadLettered)}; subscription drained`,
        );
        return EXIT.ok;
      }
      await lander.start();
      await untilSignal(logger);
      return EXIT.ok;
    } finally {
      await lander.stop({ timeout: 30_000 });
      await pubsub.close();
    }
  });
}

async function run(config: MergerConfig, flags: Flags, logger: MergerLogger): Promise<number> {
  return withWarehouse(config, async (warehouse) => {
    let bar: SingleBar | undefined;
    const mergeOnce = async (signal?: AbortSignal) => {
      const report = await runMerge(warehouse, {
        ...(signal ? { signal } : {}),
        lookbackMs: config.MERGER_LOOKBACK,
        ...(config['--from'] ? { from: config['--from'] } : {}),
        ...(config['--to'] ? { to: config['--to'] } : {}),
        dryRun: flags['dry-run'] === true,
        chunkMs: config.MERGER_CHUNK,
        leaseTtlMs: config.MERGER_LEASE_TTL,
        logger,
        onProgress: (done, total) => {
          if (total < 2) return;
          bar ??= new SingleBar({
            format: 'repair [{bar}] {value}/{total} chunks | {percentage}% | eta {eta_formatted}',
            stream: process.stderr,
            hideCursor: true,
          });
          if (done === 1) bar.start(total, 0);
          bar.update(done);
          if (done === total) bar.stop();
        },
      });
      if (flags.json === true) out(JSON.stringify(report, null, 2));
      else printRun(report);
      return report;
    };
    if (config.MERGER_EVERY === undefined) {
      // SIGTERM (a Cloud Run job's timeout, `docker stop`) stops the run after the statement in
      // hand: the chunk is recorded as failed and the lease given back, instead of left to expire.
      const stop = new AbortController();
      void untilSignal(logger).then(() => {
        stop.abort();
      });
      await mergeOnce(stop.signal);
      return EXIT.ok;
    }
    if (config['--from'] || flags['dry-run'] === true)
      throw new ConfigError([
        { path: '--every', code: 'custom', message: 'repeats incremental runs; drop --from/--to/--dry-run' },
      ]);
    const pubsub = flags.land === true ? pubsubClient(config) : undefined;
    const lander = pubsub ? makeLander(config, warehouse, pubsub, logger) : undefined;
    const scheduler = createScheduler({
      everyMs: config.MERGER_EVERY,
      logger,
      task: async () => {
        // Landing trouble (undeliverable messages with no dead-letter policy) must not starve the
        // merge: what did land, and every earlier row, is still merged each cycle.
        if (lander)
          await lander.drain().catch((error: unknown) => {
            logger.error(
              { err: error, code: error instanceof RimsError ? error.code : undefined },
              'landing failed; merging what has landed',
            );
          });
        await mergeOnce();
      },
    });
    scheduler.start();
    await untilSignal(logger);
    await scheduler.stop({ timeout: 60_000 });
    await lander?.stop();
    await pubsub?.close();
    return EXIT.ok;
  });
}

function sql(config: MergerConfig): number {
  const dialect: Dialect = config['--dialect'] ?? parseWarehouseUrl(config.warehouseUrl).kind;
  for (const folder of STATEMENT_FOLDERS) {
    for (const statement of renderFolder(dialect, folder, DEFAULT_DATASETS, rawTableOptions(config))) {
      out(`-- ===== ${dialect}/${statement.path}`);
      out(statement.sql.trimEnd());
      out('');
    }
  }
  return EXIT.ok;
}

async function audit(config: MergerConfig, flags: Flags): Promise<number> {
  const report = await withWarehouse(config, (warehouse) =>
    runAudit(warehouse, {
      lookbackMs: config.MERGER_LOOKBACK,
      limit: config['--limit'],
      ...(config['--from'] ? { from: config['--from'] } : {}),
      ...(config['--to'] ? { to: config['--to'] } : {}),
    }),
  );
  if (flags.json === true) out(JSON.stringify(report, null, 2));
  else printAudit(report);
  return report.clean ? EXIT.ok : EXIT.failed;
}

type Flags = Record<string, string | boolean | undefined>;

/** Flags that take a value: one per setting (see config.ts), and the command-only ones. */
const STRING_FLAGS = [...MERGER_SETTINGS.map(flagOf), 'from', 'to', 'dialect', 'only', 'limit'];
const BOOLEAN_FLAGS = ['dry-run', 'once', 'land', 'json', 'help'] as const;

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((name) => [name, { type: 'string' as const }])),
        ...Object.fromEntries(BOOLEAN_FLAGS.map((name) => [name, { type: 'boolean' as const }])),
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return EXIT.config;
  }
  const flags: Flags = parsed.values;
  const [command, ...extra] = parsed.positionals;
  if (flags.help === true || command === undefined || command === 'help') {
    out(HELP);
    return command === undefined && flags.help !== true ? EXIT.config : EXIT.ok;
  }
  if (!['provision', 'land', 'run', 'sql', 'audit'].includes(command) || extra.length > 0) {
    process.stderr.write(`unknown command '${[command, ...extra].join(' ')}'\n\n${HELP}\n`);
    return EXIT.config;
  }
  const stringFlags = Object.fromEntries(
    STRING_FLAGS.map((name) => [name, typeof flags[name] === 'string' ? flags[name] : undefined]),
  );
  let config: MergerConfig;
  try {
    config = loadMergerConfig(process.env, stringFlags, process.cwd(), command);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RimsError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.config;
    }
    throw error;
  }
  const logger = pino({ level: config.LOG_LEVEL, base: { command } }, pino.destination(2));
  try {
    switch (command) {
      case 'provision':
        return await provision(config, flags);
      case 'land':
        return await land(config, flags, logger);
      case 'run':
        return await run(config, flags, logger);
      case 'sql':
        return sql(config);
      default:
        return await audit(config, flags);
    }
  } catch (error) {
    // Bad configuration found only once a command looks at it (a window the library refuses) is
    // still bad configuration: exit 2, as documented, not 1.
    if (error instanceof ConfigError || error instanceof MergerConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.config;
    }
    logger.error(
      { err: error, code: error instanceof RimsError ? error.code : undefined },
      (error as Error).message,
    );
    return EXIT.failed;
  }
}

// `rims-merger sql | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2));
