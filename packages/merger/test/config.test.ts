import { describe, expect, it } from 'vitest';
import { ConfigError } from '@rims/schemas';
import { loadMergerConfig } from '../src/index.js';

const load = (env: Record<string, string>, flags: Record<string, string> = {}, command = 'run') =>
  loadMergerConfig(env, flags, '/tmp', command);

describe('loadMergerConfig', () => {
  it('takes the defaults', () => {
    expect(load({})).toMatchObject({ MERGER_CHUNK: 86_400_000, MERGER_LEASE_TTL: 900_000 });
  });

  it('takes any project id on the emulator, and only a Google Cloud project id without it', () => {
    expect(
      load({ PUBSUB_PROJECT_ID: 'bars', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }).PUBSUB_PROJECT_ID,
    ).toBe('bars');
    expect(() => load({ PUBSUB_PROJECT_ID: 'bars' })).toThrow(
      /PUBSUB_PROJECT_ID: 'bars' is not a Google Cloud project id .*; any id works with PUBSUB_EMULATOR_HOST set/,
    );
    expect(load({ PUBSUB_PROJECT_ID: 'acme-prod' }).PUBSUB_PROJECT_ID).toBe('acme-prod');
    expect(load({ PUBSUB_PROJECT_ID: 'example.com:acme-prod' }).PUBSUB_PROJECT_ID).toBe(
      'example.com:acme-prod',
    );
    expect(() => load({ PUBSUB_PROJECT_ID: 'a/b', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' })).toThrow(
      /PUBSUB_PROJECT_ID: must not contain a slash or a space/,
    );
  });

  it('refuses zero durations, where a chunk would never advance and an interval would busy-loop', () => {
    expect(() => load({ MERGER_CHUNK: '0s' })).toThrow(/MERGER_CHUNK: must be longer than zero/);
    expect(() => load({}, { every: '0s' })).toThrow(/MERGER_EVERY: must be longer than zero/);
    expect(() => load({ MERGER_RAW_PARTITION_EXPIRATION: '0d' })).toThrow(
      /MERGER_RAW_PARTITION_EXPIRATION: must be longer than zero/,
    );
  });

  it('refuses a lease shorter than a minute', () => {
    expect(() => load({ MERGER_LEASE_TTL: '30s' })).toThrow(/MERGER_LEASE_TTL: must be at least 1m/);
    expect(load({ MERGER_LEASE_TTL: '1m' }).MERGER_LEASE_TTL).toBe(60_000);
  });

  it('refuses a window that is empty, a run --to without --from, and a run --to later than now', () => {
    expect(() => load({}, { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'audit')).toThrow(
      /--from: 2026-01-02T00:00:00.000Z is not before --to/,
    );
    expect(() => load({}, { to: '2026-01-01T00:00:00Z' })).toThrow(ConfigError);
    expect(() => load({}, { to: '2026-01-01T00:00:00Z' })).toThrow(/--to: needs --from/);
    // audit takes --to alone (its window then starts seven days before it).
    expect(load({}, { to: '2026-01-01T00:00:00Z' }, 'audit')['--to']).toEqual(
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(() => load({}, { from: '2026-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z' })).toThrow(
      /--to: 2099-01-01T00:00:00.000Z is later than now/,
    );
  });
});
