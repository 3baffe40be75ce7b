import { z } from 'zod';
import {
  ConfigError,
  durationSchema,
  parseConfig,
  parseDuration,
  settingFlag,
  type ValidationIssue,
} from '@rims/schemas';
import { MIN_LEASE_TTL_MS } from './merge.js';
import { defaultWarehouseUrl, parseWarehouseUrl } from './warehouse/url.js';

const pubsubName = (what: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/,
      `${what} must start with a letter and have 3 to 255 letters, digits or . _ ~ % + -`,
    );

/** A point in time: an RFC 3339 timestamp, or a duration meaning that long ago (`7d`). */
const instantSchema = z.string().transform((text, ctx) => {
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(Date.now() - ago);
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  ctx.addIssue({
    code: 'custom',
    message: `'${text}' is not a time; use an RFC 3339 timestamp such as 2026-11-01T00:00:00Z, a date, or a duration ago such as 7d`,
  });
  return z.NEVER;
});

/**
 * A duration that must be longer than zero: a zero chunk never advances and a zero interval
 * busy-loops. `min` (milliseconds, with its text) raises the floor.
 */
const positiveDuration = (min?: { ms: number; text: string }) =>
  durationSchema.pipe(
    min
      ? z.number().min(min.ms, `must be at least ${min.text}`)
      : z.number().positive('must be longer than zero'),
  );

/**
 * The configuration of `rims-merger`, keyed by environment variable (and `--flag` for the
 * command-only flags). Every setting has a default that works locally.
 */
export const mergerConfigSchema = z.object({
  WAREHOUSE_URL: z
    .string()
    .optional()
    .superRefine((url, ctx) => {
      if (url === undefined) return;
      try {
        parseWarehouseUrl(url);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .describe(
      'duckdb:///absolute/path.duckdb or bigquery://PROJECT/LOCATION (default .data/warehouse.duckdb)',
    ),
  // Only the form that no project id can take here; whether it must be a Google Cloud project id
  // depends on PUBSUB_EMULATOR_HOST (projectIdIssues).
  PUBSUB_PROJECT_ID: z
    .string()
    .regex(/^[^\s/]+$/, 'must not contain a slash or a space')
    .default('rims-local')
    .describe('a Google Cloud project id such as rims-local (any id on the emulator)'),
  PUBSUB_TOPIC: pubsubName('the topic').default('rims-item-events').describe('a Pub/Sub topic name'),
  PUBSUB_SUBSCRIPTION: pubsubName('the subscription')
    .default('rims-item-events-raw')
    .describe('a Pub/Sub subscription name'),
  PUBSUB_DEAD_LETTER_TOPIC: pubsubName('the dead-letter topic')
    .default('rims-item-events-dead-letter')
    .describe('a Pub/Sub topic name'),
  PUBSUB_EMULATOR_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.[\]:-]+:\d+$/, 'must be host:port')
    .optional()
    .describe('host:port of the Pub/Sub emulator, such as localhost:8085'),
  MERGER_LOOKBACK: durationSchema.prefault('2d').describe('a duration such as 2d or 36h'),
  MERGER_EVERY: positiveDuration().optional().describe('a duration longer than zero such as 1m'),
  // A shorter lease can lapse inside one MERGE: the fenced MERGEs then apply nothing.
  MERGER_LEASE_TTL: positiveDuration({ ms: MIN_LEASE_TTL_MS, text: '1m' })
    .prefault('15m')
    .describe('a duration of at least 1m such as 15m'),
  MERGER_CHUNK: positiveDuration().prefault('1d').describe('a duration longer than zero such as 1d or 6h'),
  MERGER_RAW_PARTITION: z.enum(['DAY', 'HOUR']).default('DAY').describe('DAY or HOUR'),
  MERGER_RAW_PARTITION_EXPIRATION: positiveDuration()
    .prefault('60d')
    .describe('a duration longer than zero such as 60d'),
  MERGER_MAX_DELIVERY_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(5)
    .max(100)
    .default(5)
    .describe('a whole number from 5 to 100'),
  MERGER_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(500)
    .describe('a whole number from 1 to 1000'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ error: 'must be a URL such as http://localhost:4318' })
    .optional()
    .describe('an OTLP/HTTP collector base URL such as http://localhost:4318 (metrics go to /v1/metrics)'),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: z
    .url({ error: 'must be a URL such as http://localhost:4318/v1/metrics' })
    .optional()
    .describe('the OTLP/HTTP metrics URL, used as is; overrides OTEL_EXPORTER_OTLP_ENDPOINT'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('fatal, error, warn, info, debug, trace or silent'),
  '--from': instantSchema.optional().describe('an RFC 3339 time or a duration ago (7d)'),
  '--to': instantSchema.optional().describe('an RFC 3339 time or a duration ago'),
  '--dialect': z.enum(['bigquery', 'duckdb']).optional().describe('bigquery or duckdb'),
  '--only': z.enum(['warehouse', 'pubsub']).optional().describe('warehouse or pubsub'),
  '--max-lag': durationSchema
    .prefault('5m')
    .describe('check: a duration such as 5m (newest heartbeat age and its commit-to-Core lag)'),
  '--max-rejected-ratio': z.coerce
    .number({ error: 'must be a number from 0 to 1' })
    .min(0, 'must be a number from 0 to 1')
    .max(1, 'must be a number from 0 to 1')
    .default(0.01)
    .describe('check: a number from 0 to 1 such as 0.01'),
  '--max-dead-letters': z.coerce.number().int().min(0).default(0).describe('check: a whole number such as 0'),
  '--max-failed-runs': z.coerce.number().int().min(0).default(0).describe('check: a whole number such as 0'),
  '--window': positiveDuration()
    .prefault('1h')
    .describe('check: a duration longer than zero such as 1h (rejected ratio and failed runs)'),
  '--limit': z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(100)
    .describe('a whole number from 1 to 100000'),
});

/** The parsed configuration of `rims-merger`. */
export type MergerConfig = z.output<typeof mergerConfigSchema> & { readonly warehouseUrl: string };

/** Every setting's environment variable, in documentation order (command-only flags left out). */
export const MERGER_SETTINGS = Object.keys(mergerConfigSchema.shape).filter((key) => !key.startsWith('--'));

/**
 * The command-line flag of a setting, without its dashes: the rule every RIMS binary follows.
 *
 * @example mergerFlagOf('MERGER_LOOKBACK') // 'lookback' (exported from @rims/merger as mergerFlagOf)
 */
export function flagOf(setting: string): string {
  return settingFlag(setting, 'MERGER_');
}

/** A Google Cloud project id, optionally domain-scoped (`example.com:acme-prod`). */
const GOOGLE_PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * The emulator serves any project id (tests and demos use short ones such as `bars`); real Pub/Sub
 * only Google Cloud project ids, and a malformed one would fail only at the first request.
 */
function projectIdIssues(config: z.output<typeof mergerConfigSchema>): ValidationIssue[] {
  const id = config.PUBSUB_PROJECT_ID;
  if (config.PUBSUB_EMULATOR_HOST !== undefined || GOOGLE_PROJECT_ID.test(id)) return [];
  return [
    {
      path: 'PUBSUB_PROJECT_ID',
      code: 'custom',
      message: `'${id}' is not a Google Cloud project id (6 to 30 lower-case letters, digits or hyphens, starting with a letter); any id works with PUBSUB_EMULATOR_HOST set`,
    },
  ];
}

/** The `--from`/`--to` rules no single field can check; `run` has stricter ones than `audit`. */
function windowIssues(
  config: z.output<typeof mergerConfigSchema>,
  command: string | undefined,
): ValidationIssue[] {
  const from = config['--from'];
  const to = config['--to'];
  const issues: ValidationIssue[] = [];
  if (from && to && from.getTime() >= to.getTime())
    issues.push({
      path: '--from',
      code: 'custom',
      message: `${from.toISOString()} is not before --to ${to.toISOString()}; the window [--from, --to) would be empty`,
    });
  if (command !== 'run') return issues;
  if (to && !from)
    issues.push({
      path: '--to',
      code: 'custom',
      message:
        'needs --from: a repair merges an explicit window [--from, --to); leave both out for an incremental run',
    });
  // Nothing is published in the future, and a repair must never reach past now (it would look
  // like a window merged that has not happened yet).
  if (to && to.getTime() > Date.now())
    issues.push({
      path: '--to',
      code: 'custom',
      message: `${to.toISOString()} is later than now; leave --to out to merge up to now`,
    });
  return issues;
}

/**
 * Reads the configuration from the environment and the command line; flags override environment
 * variables, and empty variables count as unset. With `command` `run`, also refuses `--to`
 * without `--from` and a `--to` later than now (`audit` takes `--to` alone).
 *
 * @throws {ConfigError} naming each invalid setting, its value and what it takes
 * @example const config = loadMergerConfig(process.env, { lookback: '3d' }, process.cwd(), 'run');
 */
export function loadMergerConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | undefined>>,
  cwd: string,
  command?: string,
): MergerConfig {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(mergerConfigSchema.shape)) {
    const fromFlag = flags[key.startsWith('--') ? key.slice(2) : flagOf(key)];
    const value = fromFlag ?? (key.startsWith('--') ? undefined : env[key]);
    if (value !== undefined && value !== '') values[key] = value;
  }
  const config = parseConfig(mergerConfigSchema, values);
  const issues = [...projectIdIssues(config), ...windowIssues(config, command)];
  if (issues.length > 0) throw new ConfigError(issues);
  return { ...config, warehouseUrl: config.WAREHOUSE_URL ?? defaultWarehouseUrl(cwd) };
}
