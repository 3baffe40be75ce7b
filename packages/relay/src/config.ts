import { z } from 'zod';
import { outboxSchemaName } from '@rims/outbox';
import { durationSchema, parseConfig, settingFlag } from '@rims/schemas';
import { RELAY_DEFAULTS } from './defaults.js';
import type { RelayOptions } from './relay.js';

const count = (fallback: number, max: number, what: string) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${String(max)}`)
    .prefault(fallback)
    .describe(`${what}, a whole number from 1 to ${String(max)} (default ${String(fallback)})`);

const duration = (fallback: string, what: string, min = 1) =>
  durationSchema
    .refine((ms) => ms >= min, `must be at least ${String(min)}ms`)
    .prefault(fallback)
    .describe(`${what}, a duration such as 500ms, 30s, 5m, 2h, 1d (default ${fallback})`);

/**
 * The relay binary's settings, keyed by environment variable.
 *
 * @example relayConfigSchema.shape.RELAY_LEASE_TTL.description // what the setting takes, for help text Command-line flags override them:
 * the flag of a variable is its name without `RELAY_`, lower-case, dashed (`RELAY_BATCH_SIZE` ->
 * `--batch-size`, `PUBSUB_TOPIC` -> `--pubsub-topic`).
 */
export const relayConfigSchema = z
  .object({
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .prefault(RELAY_DEFAULTS.databaseUrl)
      .describe(`a PostgreSQL URL such as ${RELAY_DEFAULTS.databaseUrl}`),
    PUBSUB_PROJECT_ID: z
      .string()
      .regex(/^[a-z][-a-z0-9.:]{1,62}$/, 'must be a Google Cloud project id')
      .prefault(RELAY_DEFAULTS.projectId)
      .describe(`the Google Cloud project of the topic (default ${RELAY_DEFAULTS.projectId})`),
    PUBSUB_TOPIC: z
      .string()
      .regex(
        /^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/,
        'must be a Pub/Sub topic id: 3 to 255 letters, digits, - _ . ~ + %, starting with a letter',
      )
      .refine((name) => !name.toLowerCase().startsWith('goog'), 'must not start with "goog"')
      .prefault(RELAY_DEFAULTS.topic)
      .describe(`a topic id (default ${RELAY_DEFAULTS.topic}), not the projects/... path`),
    PUBSUB_EMULATOR_HOST: z
      .string()
      .regex(/^[^\s/:]+:\d{1,5}$/, 'must be host:port')
      .optional()
      .describe('host:port of the Pub/Sub emulator, such as 127.0.0.1:8085; unset in production'),
    OUTBOX_SCHEMA: z
      .string()
      // The outbox's own rule, so the relay accepts exactly the schemas `migrate` can create.
      .superRefine((schema, ctx) => {
        try {
          outboxSchemaName(schema);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      })
      .prefault(RELAY_DEFAULTS.schema)
      .describe(`the schema of the outbox tables (default ${RELAY_DEFAULTS.schema})`),
    RELAY_BATCH_SIZE: count(RELAY_DEFAULTS.batchSize, 10_000, 'pending events read per query'),
    RELAY_MAX_IN_FLIGHT: count(
      RELAY_DEFAULTS.maxInFlight,
      100_000,
      'most events published and not yet recorded',
    ),
    RELAY_POLL_INTERVAL: duration('1s', 'how often to look for work without a NOTIFY wake-up'),
    RELAY_LINGER: duration(
      `${String(RELAY_DEFAULTS.lingerMs)}ms`,
      'while active, how soon to look again after a fetch found less than a full batch',
    ),
    RELAY_IDLE_AFTER: duration(
      `${String(RELAY_DEFAULTS.idleAfterMs)}ms`,
      'how long without work before the relay asks writers to NOTIFY and waits for a wake-up (0ms: never linger, writers always NOTIFY)',
      0,
    ),
    RELAY_LEASE_TTL: duration('10s', "how long a lease outlives its owner's last renewal"),
    RELAY_HEARTBEAT_INTERVAL: duration('2s', 'how often leases are renewed and rebalanced'),
    RELAY_PUBLISH_TIMEOUT: duration('4s', 'the deadline of one publish request, retries included'),
    RELAY_MAX_ATTEMPTS: count(
      RELAY_DEFAULTS.maxAttempts,
      1_000,
      'attempts before a permanently failing event is parked',
    ),
    RELAY_BACKOFF_INITIAL: duration('100ms', 'the first retry delay after a failure'),
    RELAY_BACKOFF_MAX: duration('30s', 'the longest retry delay'),
    RELAY_RETENTION: duration('1d', 'how long published events are kept'),
    RELAY_RETENTION_INTERVAL: duration('1m', 'how often retention runs'),
    RELAY_RETENTION_BATCH_SIZE: count(
      RELAY_DEFAULTS.retentionBatchSize,
      100_000,
      'events deleted per statement',
    ),
    RELAY_STATS_INTERVAL: duration('5s', 'how often the backlog gauges are measured'),
    RELAY_SHUTDOWN_TIMEOUT: duration('8s', 'how long SIGTERM waits for in-flight publishes'),
    RELAY_ONCE_TIMEOUT: duration('2m', 'how long --once may take before it exits 3 naming what is left'),
    RELAY_HTTP_PORT: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be 0 to 65535')
      .max(65_535, 'must be 0 to 65535')
      .optional()
      .describe(
        `the port of /healthz, /readyz and /metrics, 0 for any free port (default ${String(RELAY_DEFAULTS.httpPort)}; with --once, no HTTP server unless set)`,
      ),
    RELAY_HTTP_HOST: z
      .string()
      .min(1)
      .prefault(RELAY_DEFAULTS.httpHost)
      .describe(`the address the HTTP server binds (default ${RELAY_DEFAULTS.httpHost})`),
    RELAY_REPLICA_ID: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable characters without spaces')
      .optional()
      .describe('this replica in the lease tables (default <hostname>-<pid>-<random>)'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .prefault('info')
      .describe('one of fatal, error, warn, info, debug, trace, silent (default info)'),
  })
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
export const RELAY_SETTINGS = Object.keys(relayConfigSchema.shape) as (keyof RelayConfig)[];

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

/**
 * The {@link RelayOptions} of validated settings (logger, tracer and hooks are the caller's). A
 * long-running relay serves HTTP on RELAY_HTTP_PORT (default 9464); `--once` only when it is set, so
 * that several `--once` runs on one host do not compete for the port.
 *
 * @example createRelay({ ...relayOptionsFrom(loadRelayConfig(process.env)), logger })
 */
export function relayOptionsFrom(config: RelayConfig, mode: { once?: boolean } = {}): RelayOptions {
  const port = config.RELAY_HTTP_PORT ?? (mode.once === true ? undefined : RELAY_DEFAULTS.httpPort);
  return {
    databaseUrl: config.DATABASE_URL,
    projectId: config.PUBSUB_PROJECT_ID,
    topic: config.PUBSUB_TOPIC,
    ...(config.PUBSUB_EMULATOR_HOST ? { emulatorHost: config.PUBSUB_EMULATOR_HOST } : {}),
    schema: config.OUTBOX_SCHEMA,
    batchSize: config.RELAY_BATCH_SIZE,
    maxInFlight: config.RELAY_MAX_IN_FLIGHT,
    pollIntervalMs: config.RELAY_POLL_INTERVAL,
    lingerMs: config.RELAY_LINGER,
    idleAfterMs: config.RELAY_IDLE_AFTER,
    leaseTtlMs: config.RELAY_LEASE_TTL,
    heartbeatIntervalMs: config.RELAY_HEARTBEAT_INTERVAL,
    publishTimeoutMs: config.RELAY_PUBLISH_TIMEOUT,
    maxAttempts: config.RELAY_MAX_ATTEMPTS,
    backoffInitialMs: config.RELAY_BACKOFF_INITIAL,
    backoffMaxMs: config.RELAY_BACKOFF_MAX,
    retentionMs: config.RELAY_RETENTION,
    retentionIntervalMs: config.RELAY_RETENTION_INTERVAL,
    retentionBatchSize: config.RELAY_RETENTION_BATCH_SIZE,
    statsIntervalMs: config.RELAY_STATS_INTERVAL,
    shutdownTimeoutMs: config.RELAY_SHUTDOWN_TIMEOUT,
    onceTimeoutMs: config.RELAY_ONCE_TIMEOUT,
    ...(config.RELAY_REPLICA_ID ? { replicaId: config.RELAY_REPLICA_ID } : {}),
    ...(port === undefined ? {} : { http: { port, host: config.RELAY_HTTP_HOST } }),
    processMetrics: true,
  };
}
