import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { ConfigError, RimsError } from '@rims/schemas';
import { PG_ERROR, migrate, pgErrorCode } from '@rims/outbox';
import { RELAY_SETTINGS, flagOf, loadRelayConfig, relayOptionsFrom, relayConfigSchema } from './config.js';
import { listDeadEvents, retryDeadEvents } from './dead-events.js';
import { unreachableDatabase } from './database-unreachable.js';
import { replayEvents, type ReplayResult } from './replay.js';
import type { RunOnceResult } from './relay.js';

/** Where the CLI writes, and how it learns of SIGTERM/SIGINT (the binary wires the real ones). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Registers the handler for the first stop signal. */
  readonly onStopSignal: (handler: (signal: string) => void) => void;
}

/** Exit codes of `rims-relay`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, incomplete: 3 } as const;

const USAGE = `Usage:
  rims-relay [flags]                 publish outbox events to Pub/Sub until SIGTERM
  rims-relay --once [flags]          publish everything pending now, then exit 0 (exit 3 naming
                                     what is left after RELAY_ONCE_TIMEOUT)
  rims-relay dead list [--limit N] [--json]
                                     list events parked as dead, oldest first
  rims-relay dead retry <id>... | --all
                                     put dead events back in the queue
  rims-relay replay --since <time> [--until <time>] [--dry-run] [--json]
                                     publish again the events published in [since, until)
                                     (RFC 3339 times; until defaults to now) that are still
                                     within retention; --dry-run counts them per type
  rims-relay migrate                 apply the outbox and relay migrations (as the schema owner)

Settings come from the environment; a flag overrides its variable:
${RELAY_SETTINGS.map((setting) => {
  const description = relayConfigSchema.shape[setting].description ?? '';
  return `  --${flagOf(setting).padEnd(22)} ${setting}: ${description}`;
}).join('\n')}
`;

/**
 * Runs `rims-relay` with `argv` (without node and the script) and returns the exit code.
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
    io.stderr(`rims-relay: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help === true) {
    io.stdout(USAGE);
    return EXIT.ok;
  }

  let config: ReturnType<typeof loadRelayConfig>;
  try {
    config = loadRelayConfig(env, parsed.settings);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`rims-relay: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }

  const [command, subcommand, ...rest] = parsed.positionals;
  try {
    if (command === undefined) return await serve(config, parsed.values.once === true, io);
    if (command === 'migrate' && subcommand === undefined) return await runMigrate(config, io);
    if (command === 'dead' && subcommand === 'list' && rest.length === 0) {
      const given = parsed.values.limit;
      if (given !== undefined && !/^[1-9]\d*$/.test(given)) {
        io.stderr(`rims-relay: --limit: '${given}' is not a whole number of 1 or more (default 100)\n`);
        return EXIT.usage;
      }
      const limit = given === undefined ? 100 : Number(given);
      return await withPool(config.DATABASE_URL, async (pool) => {
        const events = await listDeadEvents(pool, { schema: config.OUTBOX_SCHEMA, limit });
        if (parsed.values.json === true) io.stdout(`${JSON.stringify(events, null, 2)}\n`);
        else io.stdout(formatDeadEvents(events));
        return EXIT.ok;
      });
    }
    if (command === 'dead' && subcommand === 'retry') {
      const all = parsed.values.all === true;
      if (all === rest.length > 0) {
        io.stderr('rims-relay: dead retry takes event ids or --all (not both, not neither)\n');
        return EXIT.usage;
      }
      return await withPool(config.DATABASE_URL, async (pool) => {
        const retried = await retryDeadEvents(pool, all ? 'all' : rest, { schema: config.OUTBOX_SCHEMA });
        io.stdout(
          `retried ${String(retried.length)} dead event(s)${retried.length > 0 ? `: ${retried.join(', ')}` : ''}\n`,
        );
        return EXIT.ok;
      });
    }
    if (command === 'replay' && subcommand === undefined) {
      const since = parsed.values.since;
      if (since === undefined) {
        io.stderr(
          'rims-relay: replay needs --since <RFC 3339 time>, such as --since 2026-03-01T09:00:00Z: events published from then on are published again\n',
        );
        return EXIT.usage;
      }
      return await withPool(config.DATABASE_URL, async (pool) => {
        const result = await replayEvents(pool, {
          since,
          ...(parsed.values.until === undefined ? {} : { until: parsed.values.until }),
          dryRun: parsed.values['dry-run'] === true,
          schema: config.OUTBOX_SCHEMA,
          onBatch: (replayed) => {
            if (parsed.values.json !== true) io.stderr(`replayed ${String(replayed)} event(s) so far\n`);
          },
        });
        if (parsed.values.json === true) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        else io.stdout(formatReplay(result));
        return EXIT.ok;
      });
    }
  } catch (error) {
    // The commands that read the outbox directly (dead, replay) meet a missing table as a raw error.
    const hint =
      pgErrorCode(error) === PG_ERROR.undefinedTable
        ? `; is OUTBOX_SCHEMA (${config.OUTBOX_SCHEMA}) right, and has \`rims-relay migrate\` run against this database?`
        : '';
    const unreachable = unreachableDatabase(error, config.DATABASE_URL);
    io.stderr(
      unreachable ??
        `rims-relay: ${error instanceof RimsError ? `${error.code}: ` : ''}${(error as Error).message}${hint}\n`,
    );
    return error instanceof RimsError && error.code === 'RIMS_RELAY_CONFIG' ? EXIT.usage : EXIT.failed;
  }
  io.stderr(`rims-relay: unknown command '${parsed.positionals.join(' ')}'\n\n${USAGE}`);
  return EXIT.usage;
}

function parseCommandLine(argv: readonly string[]) {
  const settingFlags = Object.fromEntries(
    RELAY_SETTINGS.map((setting) => [flagOf(setting), { type: 'string' as const }]),
  );
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...settingFlags,
      once: { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const settings: Record<string, string> = {};
  for (const setting of RELAY_SETTINGS) {
    const value = (values as Record<string, unknown>)[flagOf(setting)];
    if (typeof value === 'string') settings[flagOf(setting)] = value;
  }
  return {
    values,
    positionals,
    settings,
  };
}

async function serve(config: ReturnType<typeof loadRelayConfig>, once: boolean, io: CliIo): Promise<number> {
  // Loaded here so that `dead`, `migrate` and `--help` do not pay for the Pub/Sub client.
  const { createRelay } = await import('./relay.js');
  const logger = pino({ name: 'rims-relay', level: config.LOG_LEVEL });
  const relay = createRelay({ ...relayOptionsFrom(config, { once }), logger });
  let stopping: Promise<unknown> | undefined;
  const signalled = new Promise<void>((resolve) => {
    io.onStopSignal((signal) => {
      logger.child({ replica: relay.replicaId }).info({ signal }, 'stop signal received; draining');
      stopping = relay.stop({ timeout: config.RELAY_SHUTDOWN_TIMEOUT });
      resolve();
    });
  });
  if (once) {
    const result = await relay.runOnce();
    if (!result.complete) {
      const why = stopping
        ? 'was stopped by a signal before the backlog was drained'
        : `gave up after ${String(config.RELAY_ONCE_TIMEOUT)} ms`;
      io.stderr(`rims-relay: --once ${why}; left:\n${formatRemaining(result.remaining)}`);
      await stopping;
      return EXIT.incomplete;
    }
    await stopping;
    return EXIT.ok;
  } else {
    await relay.start();
    await signalled;
  }
  await stopping;
  return EXIT.ok;
}

async function runMigrate(config: ReturnType<typeof loadRelayConfig>, io: CliIo): Promise<number> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 }) }),
  });
  try {
    const result = await migrate(db, {
      schema: config.OUTBOX_SCHEMA,
      log: (line) => {
        io.stdout(`${line}\n`);
      },
    });
    io.stdout(`schema ${result.schema} is at version ${String(result.version)}\n`);
    return EXIT.ok;
  } finally {
    await db.destroy();
  }
}

async function withPool<T>(url: string, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'rims-relay cli' });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

function formatRemaining(remaining: RunOnceResult['remaining']): string {
  if (remaining.length === 0)
    return '  unknown: the database could not be reached to count the events left\n';
  return remaining
    .map(
      (left) =>
        `  partition ${String(left.lease_partition)}: ${left.pending} event(s) pending, lease ${left.owner ? `held by ${left.owner} until ${left.expires_at ?? '?'}` : 'free'}\n`,
    )
    .join('');
}

function formatDeadEvents(events: Awaited<ReturnType<typeof listDeadEvents>>): string {
  if (events.length === 0) return 'no dead events\n';
  const lines = events.map(
    (event) =>
      `${event.id}  ${event.deadAt.toISOString()}  ${event.type}  subject=${event.subject}  sequence=${event.sequence}  attempts=${String(event.attempts)}\n    ${event.lastError ?? ''}`,
  );
  return `${lines.join('\n')}\n${String(events.length)} dead event(s); retry with: rims-relay dead retry <id> | --all\n`;
}

function formatReplay(result: ReplayResult): string {
  const window = `published from ${result.since} until ${result.until}`;
  const lines = [
    result.dryRun
      ? `dry run: ${String(result.events)} event(s) ${window} would be published again`
      : `put ${String(result.events)} event(s) ${window} back in the queue in ${String(result.batches)} batch(es); the relays publish them again`,
    ...Object.entries(result.byType).map(([type, n]) => `  ${type.padEnd(28)} ${String(n)}`),
  ];
  if (result.oldestRetained === null) {
    lines.push(
      'the outbox holds no published event (retention deleted them all, or nothing was published yet)',
    );
  } else if (result.oldestRetained > result.since) {
    // The outbox cannot tell whether anything older ever existed: say what it holds, not what it lost.
    lines.push(
      `the oldest published event still in the outbox was published at ${result.oldestRetained}; any published before it were deleted by retention (RELAY_RETENTION) and cannot be replayed from the outbox`,
    );
  }
  return `${lines.join('\n')}\n`;
}
