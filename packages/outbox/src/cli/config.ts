import { z } from 'zod';
import { ConfigError, parseConfig, settingFlag } from '@rims/schemas';
import { outboxSchemaName } from '../schema-name.js';

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${String(min)}`)
    .max(max, `must be at most ${String(max)}`);

/** `1%`, `0.5%` or a fraction such as `0.01`: the share of items a sampled backfill covers. */
const sampleSchema = z.string().transform((text, ctx) => {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const fraction = match ? Number(match[1]) / (match[2] === '%' ? 100 : 1) : Number.NaN;
  if (!(fraction > 0 && fraction <= 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `'${text}' is not a share of the items; use a percentage above 0 and at most 100%, such as 1% or 0.5%`,
    });
    return z.NEVER;
  }
  return fraction;
});

/**
 * The configuration of `rims-outbox`, keyed by environment variable (and `--flag` for the
 * command-only flags). A variable's flag is its name without `BACKFILL_`, lower-case, dashed
 * (`BACKFILL_MAX_RATE` -> `--max-rate`). Every setting has a default that works locally.
 */
export const outboxCliConfigSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default(LOCAL_DATABASE_URL)
    .describe(`a PostgreSQL URL such as ${LOCAL_DATABASE_URL}, as the backfill role`),
  OUTBOX_SCHEMA: z
    .string()
    .superRefine((schema, ctx) => {
      try {
        outboxSchemaName(schema);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .default('rims_outbox')
    .describe('the schema of the outbox tables (default rims_outbox)'),
  BACKFILL_BATCH_SIZE: wholeNumber(1, 10_000)
    .default(500)
    .describe('items per batch (one transaction each), a whole number from 1 to 10000 (default 500)'),
  BACKFILL_MAX_RATE: z.coerce
    .number({ error: 'must be a number' })
    .positive('must be above 0')
    .optional()
    .describe('most rows per second, such as 2000 (default unlimited)'),
  BACKFILL_SOURCE: z
    .string()
    .regex(/^\S+$/, 'must be a URI reference without spaces')
    .default('//rims/outbox-backfill')
    .describe('the CloudEvents source of the snapshots (default //rims/outbox-backfill)'),
  BACKFILL_NAME: z
    .string()
    .regex(/^[\x21-\x7e]{1,100}$/, 'must be 1 to 100 printable characters without spaces')
    .default('default')
    .describe('the name progress is saved under, so --resume finds it (default default)'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('fatal, error, warn, info, debug, trace or silent'),
  '--query': z
    .string()
    .optional()
    .describe('one SELECT returning item_id, status, order_id, sku, quantity, location_id'),
  '--items': z
    .string()
    .transform((text) => text.split(',').map((id) => id.trim()))
    .refine((ids) => ids.every((id) => id !== ''), 'must be item ids separated by commas, none empty')
    .optional()
    .describe('item ids separated by commas, such as item-1,item-7'),
  '--sample': sampleSchema.optional().describe('a percentage such as 1% (a deterministic hash sample)'),
  '--sample-seed': wholeNumber(0, 2_147_483_647)
    .default(0)
    .describe('the sample hash seed, a whole number (default 0); change it to sample other items'),
});

/** The parsed configuration of `rims-outbox`. */
export type OutboxCliConfig = z.output<typeof outboxCliConfigSchema>;

/** Every setting's environment variable, in documentation order (command-only flags left out). */
export const OUTBOX_CLI_SETTINGS = Object.keys(outboxCliConfigSchema.shape).filter(
  (key) => !key.startsWith('--'),
);

/**
 * The command-line flag of a setting, without its dashes: the rule every RIMS binary follows.
 *
 * @example outboxCliFlagOf('BACKFILL_MAX_RATE') // 'max-rate' (exported from @rims/outbox as outboxCliFlagOf)
 */
export function flagOf(setting: string): string {
  return setting.startsWith('--') ? setting.slice(2) : settingFlag(setting, 'BACKFILL_');
}

/**
 * Reads the configuration from the environment and the command line; flags override environment
 * variables, and empty values count as unset.
 *
 * @throws {ConfigError} naming each invalid setting, its value and what it takes
 */
export function loadOutboxCliConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | undefined>>,
): OutboxCliConfig {
  const values: Record<string, string> = {};
  for (const key of Object.keys(outboxCliConfigSchema.shape)) {
    const value = flags[flagOf(key)] ?? (key.startsWith('--') ? undefined : env[key]);
    if (value !== undefined && value !== '') values[key] = value;
  }
  try {
    return parseConfig(outboxCliConfigSchema, values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Name the flag beside the variable: the operator may have used either.
    throw new ConfigError(
      error.issues.map((issue) =>
        issue.path.startsWith('--') ? issue : { ...issue, path: `${issue.path} (--${flagOf(issue.path)})` },
      ),
    );
  }
}
