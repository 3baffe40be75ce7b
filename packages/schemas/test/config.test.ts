import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, durationSchema, parseConfig, parseDuration } from '../src/index.js';

describe('parseDuration', () => {
  it('reads every unit', () => {
    expect(['250ms', '30s', '1.5m', '2h', '2d', '1w'].map(parseDuration)).toEqual([
      250, 30_000, 90_000, 7_200_000, 172_800_000, 604_800_000,
    ]);
  });

  it('rejects what is not a duration', () => {
    expect(['2', 'two days', '-1s', '1y', ''].map(parseDuration)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('parseConfig', () => {
  const schema = z.object({
    PUBSUB_TOPIC: z.string().min(1).default('rims-item-events').describe('a Pub/Sub topic id'),
    RELAY_BATCH_SIZE: z.coerce.number().int().positive().default(500).describe('a positive whole number'),
    RELAY_RETENTION: durationSchema.default(604_800_000).describe('a duration such as 7d'),
  });

  it('applies defaults and parses values', () => {
    expect(parseConfig(schema, { RELAY_BATCH_SIZE: '100', RELAY_RETENTION: '2d' })).toEqual({
      PUBSUB_TOPIC: 'rims-item-events',
      RELAY_BATCH_SIZE: 100,
      RELAY_RETENTION: 172_800_000,
    });
  });

  it('names each bad setting, its value and what it takes', () => {
    const attempt = () =>
      parseConfig(schema, { PUBSUB_TOPIC: '', RELAY_BATCH_SIZE: '-3', RELAY_RETENTION: 'soon' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([
        'PUBSUB_TOPIC',
        'RELAY_BATCH_SIZE',
        'RELAY_RETENTION',
      ]);
      expect(message).toContain('RELAY_BATCH_SIZE:');
      expect(message).toContain('(got "-3"); expected a positive whole number');
      expect(message).toContain("'soon' is not a duration");
    }
  });
});
