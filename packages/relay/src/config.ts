// Past 300 lines on purpose: every relay setting in one table (one config schema per binary), with
// the parsing of the environment, flags and createRelay options that the table feeds.
import { z } from 'zod';
import { outboxSchemaName } from '@rims/outbox';
import { ConfigError, parseConfig, parseDuration, settingFlag } from '@rims/schemas';
import { RelayConfigError } from './errors.js';
import type { RelayOptions } from './relay-options.js';

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_HTTP_PORT = 9464;

const count = (fallback: number, max: number, what: string) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${String(max)}`)
    .prefault(fallback)
    .describe(`${what}, a whole number from 1 to ${String(max)} (default ${String(fallback)})`);

/** A duration: a string such as `30s` from the environment, whole milliseconds from `createRelay`. */
const durationInput = z.unknown().transform((value, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  // A bare 0 needs no unit: it is how a setting such as RELAY_HEARTBEAT_EVENT_INTERVAL is turned off.
  if (value === '0') return 0;
  if (typeof value === 'string') {
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
  }
  ctx.addIssue({
    code: 'custom',
    message: `${typeof value === 'string' ? `'${value}'` : String(value)} is not a duration; use a number and a unit: 500ms, 30s, 5m, 2h, 2d, 1w (or whole milliseconds in createRelay)`,
  });
  return z.NEVER;
});

const duration = (fallback: string, what: string, min = 1) =>
  durationInput
    .refine((ms) => ms >= min, `must be at least ${String(min)}ms`)
    .prefault(fallback)
    .describe(`${what}, a duration such as 500ms, 30s, 5m, 2h, 1d (default ${fallback})`);

/**
 * Every setting of the relay, stated once: its environment variable (the key), the `createRelay`
 * option it feeds, and its schema with the default and what it takes. The binary's environment
 * and flags and `createRelay`'s options are validated by the same schema.
 */
const SETTINGS = {
  DATABASE_URL: {
    option: 'databaseUrl',
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .prefault(LOCAL_DATABASE_URL)
      .describe(`a PostgreSQL URL such as ${LOCAL_DATABASE_URL}`),
  },
  PUBSUB_PROJECT_ID: {
    option: 'projectId',
    schema: z
      .string()
      .regex(/^[a-z][-a-z0-9.:]{1,62}$/, 'must be a Google Cloud project id')
      .prefault('rims-local')
      .describe('the Google Cloud project of the topic (default rims-local)'),
  },
  PUBSUB_TOPIC: {
    option: 'topic',
    schema: z
      .string()
      .regex(
        /^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/,
        'must be a Pub/Sub topic id: 3 to 255 letters, digits, - _ . ~ + %, starting with a letter',
      )
      .refine((name) => !name.toLowerCase().startsWith('goog'), 'must not start with "goog"')
      .prefault('rims-item-events')
      .describe('a topic id (default rims-item-events), not the projects/... path'),
  },
  PUBSUB_EMULATOR_HOST: {
    option: 'emulatorHost',
    schema: z
      .string()
      .regex(/^[^\s/:]+:\d{1,5}$/, 'must be host:port')
      .optional()
      .describe('host:port of the Pub/Sub emulator, such as 127.0.0.1:8085; unset in production'),
  },
  OUTBOX_SCHEMA: {
    option: 'schema',
    schema: z
      .string()
      // The outbox's own rule, so the relay accepts exactly the schemas `migrate` can create.
      .superRefine((schema, ctx) => {
        try {
          outboxSchemaName(schema);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      })
      .prefault('rims_outbox')
      .describe('the schema of the outbox tables (default rims_outbox)'),
  },
  RELAY_BATCH_SIZE: { option: 'batchSize', schema: count(5_000, 10_000, 'pending events read per query') },
  RELAY_MAX_IN_FLIGHT: {
    option: 'maxInFlight',
    schema: count(40_000, 100_000, 'most events published and not yet recorded'),
  },
  RELAY_POLL_INTERVAL: {
    option: 'pollIntervalMs',
    schema: duration('1s', 'how often to look for work without a NOTIFY wake-up'),
  },
  RELAY_LINGER: {
    option: 'lingerMs',
    schema: duration(
      '5ms',
      'while active, how soon to look again after a fetch found less than a full batch',
    ),
  },
  RELAY_IDLE_AFTER: {
    option: 'idleAfterMs',
    schema: duration(
      '50ms',
      'how long without work before the relay asks writers to NOTIFY and waits for a wake-up (0ms: never linger, writers always NOTIFY)',
      0,
    ),
  },
  RELAY_LEASE_TTL: {
    option: 'leaseTtlMs',
    schema: duration('10s', "how long a lease outlives its owner's last renewal"),
  },
  RELAY_HEARTBEAT_INTERVAL: {
    option: 'heartbeatIntervalMs',
    schema: duration('2s', 'how often leases are renewed and rebalanced'),
  },
  RELAY_HEARTBEAT_EVENT_INTERVAL: {
    option: 'heartbeatEventIntervalMs',
    schema: duration(
      '30s',
      'how often the replica enqueues a rims.pipeline.heartbeat.v1 event through the outbox, so the warehouse can measure freshness (0s: none)',
      0,
    ),
  },
  RELAY_PUBLISH_TIMEOUT: {
    option: 'publishTimeoutMs',
    schema: duration('4s', 'the deadline of one publish request, retries included'),
  },
  RELAY_MAX_ATTEMPTS: {
    option: 'maxAttempts',
    schema: count(5, 1_000, 'attempts before a permanently failing event is parked'),
  },
  RELAY_BACKOFF_INITIAL: {
    option: 'backoffInitialMs',
    schema: duration('100ms', 'the first retry delay after a failure'),
  },
  RELAY_BACKOFF_MAX: {
    option: 'backoffMaxMs',
    schema: duration('30s', 'the longest retry delay, Pub/Sub reconnects included'),
  },
  RELAY_RETENTION: { option: 'retentionMs', schema: duration('1d', 'how long published events are kept') },
  RELAY_RETENTION_INTERVAL: {
    option: 'retentionIntervalMs',
    schema: duration('1m', 'how often retention runs'),
  },
  RELAY_RETENTION_BATCH_SIZE: {
    option: 'retentionBatchSize',
    schema: count(1_000, 100_000, 'events deleted per statement'),
  },
  RELAY_STATS_INTERVAL: {
    option: 'statsIntervalMs',
    schema: duration('5s', 'how often the backlog gauges are measured'),
  },
  RELAY_SHUTDOWN_TIMEOUT: {
    option: 'shutdownTimeoutMs',
    schema: duration('8s', 'how long SIGTERM waits for in-flight publishes'),
  },
  RELAY_ONCE_TIMEOUT: {
    option: 'onceTimeoutMs',
    schema: duration('2m', 'how long --once may take before it exits 3 naming what is left'),
  },
  RELAY_HTTP_PORT: {
    option: undefined,
    schema: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be 0 to 65535')
      .max(65_535, 'must be 0 to 65535')
      .optional()
      .describe(
        `the port of /healthz, /readyz and /metrics, 0 for any free port (default ${String(DEFAULT_HTTP_PORT)}; with --once, no HTTP server unless set)`,
      ),
  },
  RELAY_HTTP_HOST: {
    option: undefined,
    schema: z
      .string()
      .min(1)
      .prefault('0.0.0.0')
      .describe('the address the HTTP server binds (default 0.0.0.0)'),
  },
  RELAY_REPLICA_ID: {
    option: 'replicaId',
    schema: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable characters without spaces')
      .optional()
      .describe('this replica in the lease tables (default <hostname>-<pid>-<random>)'),
  },
  LOG_LEVEL: {
    option: undefined,
    schema: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .prefault('info')
      .describe('one of fatal, error, warn, info, debug, trace, silent (default info)'),
  },
} as const;

type SettingsSpec = typeof SETTINGS;
type Shape = { [K in keyof SettingsSpec]: SettingsSpec[K]['schema'] };

/**
 * The relay binary's settings, keyed by environment variable. Command-line flags override them:
 * the flag of a variable is its name without `RELAY_`, lower-case, dashed (`RELAY_BATCH_SIZE` ->
 * `--batch-size`, `PUBSUB_TOPIC` -> `--pubsub-topic`).
 *
 * @example relayConfigSchema.shape.RELAY_LEASE_TTL.description // what the setting takes, for help text
 */
export const relayConfigSchema = z
  .object(Object.fromEntries(Object.entries(SETTINGS).map(([key, { schema }]) => [key, schema])) as Shape)
  .superRefine((config, ctx) => {
    if (config.RELAY_HEARTBEAT_INTERVAL + config.RELAY_PUBLISH_TIMEOUT >= config.RELAY_LEASE_TTL) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELAY_LEASE_TTL'],
        message:
          'must be longer than RELAY_HEARTBEAT_INTERVAL + RELAY_PUBLISH_TIMEOUT (a replica publishes only while its lease outlives a publish started now)',
      });
    }
    if (config.RELAY_MAX_IN_FLIGHT < config.RELAY_BATCH_SIZE) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELAY_MAX_IN_FLIGHT'],
        message: 'must be at least RELAY_BATCH_SIZE',
      });
    }
    if (config.RELAY_BACKOFF_MAX < config.RELAY_BACKOFF_INITIAL) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELAY_BACKOFF_MAX'],
        message: 'must be at least RELAY_BACKOFF_INITIAL',
      });
    }
  });

/** The relay binary's validated settings. */
export type RelayConfig = z.output<typeof relayConfigSchema>;

/** Every setting's environment variable, in documentation order. */
export const RELAY_SETTINGS = Object.keys(SETTINGS) as (keyof RelayConfig)[];

/**
 * The command-line flag of a setting, without its dashes.
 *
 * @example flagOf('RELAY_BATCH_SIZE') // 'batch-size'; flagOf('PUBSUB_TOPIC') // 'pubsub-topic'
 */
export function flagOf(setting: string): string {
  return settingFlag(setting, 'RELAY_');
}

/**
 * Reads the settings from the environment with flags on top, and validates them.
 * Empty variables count as unset.
 *
 * @throws {ConfigError} naming each invalid variable (or flag) and what it takes
 * @example const config = loadRelayConfig(process.env, { 'batch-size': '1000' });
 */
export function loadRelayConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | undefined>> = {},
): RelayConfig {
  const values: Record<string, string> = {};
  for (const setting of RELAY_SETTINGS) {
    const flag = flags[flagOf(setting)];
    const value = flag ?? env[setting];
    if (value !== undefined && value !== '') values[setting] = value;
  }
  return parseConfig(relayConfigSchema, values);
}

/** The `createRelay` options a validated config states (no HTTP, hooks or logger). */
function settingsOf(config: RelayConfig): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [setting, { option }] of Object.entries(SETTINGS)) {
    const value = config[setting as keyof RelayConfig];
    if (option !== undefined && value !== undefined) options[option] = value;
  }
  return options;
}

/**
 * The {@link RelayOptions} of validated settings (logger, tracer and hooks are the caller's). A
 * long-running relay serves HTTP on RELAY_HTTP_PORT (default 9464); `--once` only when it is set, so
 * that several `--once` runs on one host do not compete for the port.
 *
 * @example const relay = createRelay(relayOptionsFrom(loadRelayConfig(process.env)));
 */
export function relayOptionsFrom(config: RelayConfig, mode: { once?: boolean } = {}): RelayOptions {
  const port = config.RELAY_HTTP_PORT ?? (mode.once === true ? undefined : DEFAULT_HTTP_PORT);
  return {
    ...settingsOf(config),
    processMetrics: true,
    ...(port === undefined ? {} : { http: { port, host: config.RELAY_HTTP_HOST } }),
  };
}

/** `createRelay`'s validated settings: every option the schema states, with its default. */
export type RelaySettings = Required<
  Omit<
    RelayOptions,
    | 'pubsub'
    | 'emulatorHost'
    | 'http'
    | 'logger'
    | 'tracer'
    | 'onPublished'
    | 'onDead'
    | 'replicaId'
    | 'processMetrics'
  >
> &
  Pick<RelayOptions, 'emulatorHost' | 'replicaId'>;

/**
 * Validates `createRelay`'s options with the binary's own schema (same defaults, same rules).
 *
 * @throws {RelayConfigError} naming each invalid option, what it got and what it takes
 * @example const settings = resolveRelaySettings({ batchSize: 1_000 });
 */
export function resolveRelaySettings(options: RelayOptions): RelaySettings {
  const values: Record<string, unknown> = {};
  const optionOf = new Map<string, string>();
  for (const [setting, { option }] of Object.entries(SETTINGS)) {
    if (option === undefined) continue;
    optionOf.set(setting, option);
    const value = (options as Record<string, unknown>)[option];
    if (value !== undefined) values[setting] = value;
  }
  try {
    return settingsOf(parseConfig(relayConfigSchema, values)) as RelaySettings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Name the options the caller wrote, not the environment variables behind them.
    const lines = error.issues.map((issue) => {
      const setting = issue.path.split(/[.[]/)[0] ?? '';
      let message = issue.message;
      for (const [env, option] of optionOf) message = message.replaceAll(env, option);
      return `${optionOf.get(setting) ?? setting}: ${message}`;
    });
    throw new RelayConfigError(`Invalid relay options:\n  ${lines.join('\n  ')}`);
  }
}

const defaults = parseConfig(relayConfigSchema, {});

/**
 * Defaults of `RelayOptions`, from the settings schema; each works against a local PostgreSQL and the emulator.
 *
 * @example createRelay({ batchSize: RELAY_DEFAULTS.batchSize * 2 })
 */
export const RELAY_DEFAULTS = {
  ...(settingsOf(defaults) as Omit<RelaySettings, 'emulatorHost' | 'replicaId'>),
  httpHost: defaults.RELAY_HTTP_HOST,
  httpPort: DEFAULT_HTTP_PORT,
} as const;
