/**
 * `rims-outbox`'s command line as a function: arguments, environment and output in, exit status
 * out. The binary (`bin.ts`) wires the process to it; tests call it directly.
 */
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { ConfigError, RimsError } from '@rims/schemas';
import { runBackfill, type BackfillResult } from '../backfill/backfill.js';
import { migrate } from '../migrate.js';
import {
  OUTBOX_CLI_SETTINGS,
  flagOf,
  loadOutboxCliConfig,
  outboxCliConfigSchema,
  type OutboxCliConfig,
} from './config.js';
import { progressDisplay } from './progress-display.js';

/** Where the CLI writes, and how it learns of SIGTERM/SIGINT (the binary wires the real ones). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Registers the handler for the first stop signal (the binary exits on a second one). */
  readonly onStopSignal: (handler: (signal: string) => void) => void;
  /** Where the progress bar is drawn: the binary passes stderr when it is a terminal. None: JSON logs. */
  readonly progressStream?: Writable;
}

/** Exit codes of `rims-outbox`: done, failed (or rows refused), bad usage, stopped before the end. */
export const EXIT = { ok: 0, failed: 1, usage: 2, stopped: 3 } as const;

/** Errors of what the operator passed: exit 2, like a bad flag. */
const USAGE_ERRORS = new Set([
  'RIMS_OUTBOX_CONFIG',
  'RIMS_OUTBOX_BACKFILL_QUERY',
  'RIMS_OUTBOX_BACKFILL_RESUME',
]);

const COMMAND_FLAGS = Object.keys(outboxCliConfigSchema.shape).filter((key) => key.startsWith('--'));

const HELP = `Usage:
  rims-outbox backfill --query "<SELECT ...>" [flags]
      enqueue one rims.item.snapshot.v1 per row of the query, in batches by item_id; the query is
      one SELECT (or WITH ... SELECT) returning item_id, status, order_id, sku, quantity,
      location_id. Each snapshot is read after its item's sequence lock is held, so live writes
      are never regressed.
        --items a,b        only these items
        --sample 1%        a deterministic hash sample (--sample-seed N picks another)
        --resume           continue the saved backfill of this --name (same query and filters)
        --dry-run          count the rows, write nothing
        --json             print the result as JSON
      Ctrl-C or SIGTERM finishes the batch in hand, saves progress and exits 3.
  rims-outbox migrate      apply the outbox migrations (as the schema owner)

Exit status: 0 done, 1 failed or some rows refused, 2 bad usage, 3 stopped (resume with --resume).

Settings come from the environment; a flag overrides its variable:
${OUTBOX_CLI_SETTINGS.map((setting) => {
  const description = outboxCliConfigSchema.shape[setting as keyof OutboxCliConfig].description ?? '';
  return `  --${flagOf(setting).padEnd(16)} ${setting}: ${description}`;
}).join('\n')}
`;

/**
 * Runs `rims-outbox` with `argv` (without node and the script) and returns the exit status.
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), process.env, io);
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`rims-outbox: ${(error as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const [command, ...extra] = positionals;
  if ((command !== 'backfill' && command !== 'migrate') || extra.length > 0) {
    io.stderr(
      `rims-outbox: ${command === undefined ? 'no command' : `unknown command '${positionals.join(' ')}'`}\n\n${HELP}`,
    );
    return EXIT.usage;
  }
  let config: OutboxCliConfig;
  try {
    config = loadOutboxCliConfig(env, parsed.strings);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`rims-outbox: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  // JSON log lines on stderr; results alone on stdout.
  const logger = pino(
    { name: 'rims-outbox', level: config.LOG_LEVEL, base: { command } },
    {
      write: (line: string) => {
        io.stderr(line);
      },
    },
  );
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: 2,
    application_name: `rims-outbox ${command}`,
  });
  try {
    if (command === 'migrate') return await runMigrate(pool, config, io);
    if (config['--query'] === undefined) {
      io.stderr(
        'rims-outbox: backfill needs --query "<SELECT item_id, status, order_id, sku, quantity, location_id FROM ...>": one SELECT of the application\'s items\n',
      );
      return EXIT.usage;
    }
    return await backfill(pool, config, values, io, logger);
  } catch (error) {
    const code = error instanceof RimsError ? error.code : undefined;
    if (code !== undefined && USAGE_ERRORS.has(code)) {
      io.stderr(`rims-outbox: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    logger.error({ err: error, code }, (error as Error).message);
    io.stderr(`rims-outbox: ${code === undefined ? '' : `${code}: `}${(error as Error).message}\n`);
    return EXIT.failed;
  } finally {
    await pool.end();
  }
}

function parseCommandLine(argv: readonly string[]) {
  const stringFlags = [...OUTBOX_CLI_SETTINGS.map(flagOf), ...COMMAND_FLAGS.map(flagOf)];
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...Object.fromEntries(stringFlags.map((name) => [name, { type: 'string' as const }])),
      resume: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const strings: Record<string, string> = {};
  for (const name of stringFlags) {
    const value = (values as Record<string, unknown>)[name];
    if (typeof value === 'string') strings[name] = value;
  }
  return { values, positionals, strings };
}

type Switches = ReturnType<typeof parseCommandLine>['values'];

async function backfill(
  pool: pg.Pool,
  config: OutboxCliConfig,
  switches: Switches,
  io: CliIo,
  logger: pino.Logger,
): Promise<number> {
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  io.onStopSignal((signal) => {
    stoppedBy = signal;
    logger.info({ signal }, 'stopping after the batch in hand (send it again to exit at once)');
    stop.abort();
  });
  const display = progressDisplay(io.progressStream, logger);
  const shownInvalid = 20;
  let invalidSeen = 0;
  let result: BackfillResult;
  try {
    result = await runBackfill({
      pool,
      query: config['--query'] ?? '',
      schema: config.OUTBOX_SCHEMA,
      source: config.BACKFILL_SOURCE,
      name: config.BACKFILL_NAME,
      batchSize: config.BACKFILL_BATCH_SIZE,
      ...(config.BACKFILL_MAX_RATE === undefined ? {} : { maxRate: config.BACKFILL_MAX_RATE }),
      ...(config['--items'] === undefined ? {} : { items: config['--items'] }),
      ...(config['--sample'] === undefined
        ? {}
        : { sample: { fraction: config['--sample'], seed: config['--sample-seed'] } }),
      resume: switches.resume === true,
      dryRun: switches['dry-run'] === true,
      signal: stop.signal,
      onProgress: (progress) => {
        display.update(progress);
      },
      onInvalid: (item) => {
        invalidSeen++;
        if (invalidSeen <= shownInvalid) {
          logger.warn(
            { item_id: item.itemId, issues: item.issues },
            `item ${item.itemId} not snapshotted: ${item.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
          );
        } else if (invalidSeen === shownInvalid + 1) {
          logger.warn(`more rows refused; only the first ${String(shownInvalid)} are listed`);
        }
      },
    });
  } finally {
    display.stop();
  }

  if (switches.json === true)
    io.stdout(`${JSON.stringify({ ...result, stoppedBy: stoppedBy ?? null }, null, 2)}\n`);
  else io.stdout(`${summary(result)}\n`);
  if (!result.complete) {
    io.stderr(
      `rims-outbox: stopped by ${stoppedBy ?? 'a signal'} after item ${result.lastItemId ?? '(none yet)'}: ${String(result.read)} of ${String(result.total)} rows done, progress saved as '${config.BACKFILL_NAME}'. Resume with the same command and --resume\n`,
    );
    return EXIT.stopped;
  }
  if (result.invalid > 0) {
    io.stderr(
      `rims-outbox: ${String(result.invalid)} row(s) were refused (logged above with the field); fix them in the application or the query, then backfill them with --items\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}

function summary(result: BackfillResult): string {
  const seconds = result.elapsedMs / 1000;
  if (result.dryRun) {
    return `dry run: ${String(result.total - result.read)} row(s) to backfill${result.resumedAfter === null ? '' : ` after item ${result.resumedAfter}`} (${String(result.total)} in all)`;
  }
  const rate = seconds > 0 ? Math.round(result.readThisRun / seconds) : 0;
  return `${result.complete ? 'backfill complete' : 'backfill stopped'}: ${String(result.enqueued)} snapshot(s) enqueued, ${String(result.skipped)} item(s) gone before their snapshot, ${String(result.invalid)} row(s) refused, of ${String(result.total)}; this run read ${String(result.readThisRun)} row(s) in ${seconds.toFixed(1)} s (${String(rate)} rows/s)`;
}

async function runMigrate(pool: pg.Pool, config: OutboxCliConfig, io: CliIo): Promise<number> {
  // Not destroyed here: that would end the pool, which runCli ends itself.
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const result = await migrate(db, {
    schema: config.OUTBOX_SCHEMA,
    log: (line) => {
      io.stdout(`${line}\n`);
    },
  });
  io.stdout(`schema ${result.schema} is at version ${String(result.version)}\n`);
  return EXIT.ok;
}
