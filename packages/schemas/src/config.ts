import { z } from 'zod';
import { RimsError, issuesFromZod, type ValidationIssue } from './errors.js';

/**
 * A binary's configuration is invalid. The message names each setting (the environment variable or
 * flag), what is wrong with its value, and what it takes.
 */
export class ConfigError extends RimsError {
  readonly code = 'RIMS_CONFIG';
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}`);
    this.issues = issues;
  }
}

/**
 * Validates a binary's settings with its zod schema. Key the schema by the names operators set
 * (`DATABASE_URL`, `PUBSUB_TOPIC`) and `.describe()` each field with what it takes: a failing
 * field's description is appended to its message.
 *
 * @throws {ConfigError} listing every invalid setting
 * @example
 * import { z } from 'zod';
 * import { durationSchema, parseConfig } from '@rims/schemas';
 * const schema = z.object({
 *   PUBSUB_TOPIC: z.string().default('rims-item-events').describe('a Pub/Sub topic id'),
 *   MERGER_LOOKBACK: durationSchema.prefault('2d').describe('a duration such as 2d'),
 * });
 * const config = parseConfig(schema, process.env); // config.MERGER_LOOKBACK: milliseconds
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  values: Readonly<Record<string, unknown>>,
): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const shape = schema.shape as Record<string, z.ZodType | undefined>;
  const issues = issuesFromZod(result.error).map((issue) => {
    const field = issue.path.split(/[.[]/)[0] ?? '';
    const description = shape[field]?.description;
    const value = values[field];
    const shown = value === undefined ? 'not set' : `got ${JSON.stringify(value)}`;
    return {
      ...issue,
      message: `${issue.message} (${shown})${description ? `; expected ${description}` : ''}`,
    };
  });
  throw new ConfigError(issues);
}

/**
 * The command-line flag of a setting, without its dashes: the environment variable's name without
 * the binary's own prefix, lower-case, dashed. Every RIMS binary names its flags by this one rule,
 * so `PUBSUB_TOPIC` is `--pubsub-topic` for the relay and the merger alike.
 *
 * @example settingFlag('RELAY_BATCH_SIZE', 'RELAY_') // 'batch-size'
 * @example settingFlag('PUBSUB_TOPIC', 'MERGER_') // 'pubsub-topic'
 */
export function settingFlag(setting: string, ownPrefix: string): string {
  const name = setting.startsWith(ownPrefix) ? setting.slice(ownPrefix.length) : setting;
  return name.toLowerCase().replaceAll('_', '-');
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/**
 * Parses a duration such as `500ms`, `30s`, `1m`, `2h`, `2d` or `1w` into milliseconds.
 *
 * @returns undefined when `text` is not a duration
 * @example parseDuration('2d') // 172800000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** A zod schema for a duration setting (`30s`, `2d`, ...), parsed to milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `'${text}' is not a duration; use a number and a unit: 500ms, 30s, 5m, 2h, 2d, 1w`,
    });
    return z.NEVER;
  }
  return ms;
});
