import { describe, expect, it } from 'vitest';
import { ConfigError } from '@rims/schemas';
import {
  RELAY_DEFAULTS,
  RelayConfigError,
  createRelay,
  flagOf,
  loadRelayConfig,
  relayOptionsFrom,
} from '../src/index.js';
import { backoffDelay } from '../src/backoff.js';

describe('relay configuration', () => {
  it('takes a short project id such as bars, which the emulator serves', () => {
    expect(
      loadRelayConfig({ PUBSUB_PROJECT_ID: 'bars', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' })
        .PUBSUB_PROJECT_ID,
    ).toBe('bars');
  });

  it('has defaults that work locally', () => {
    const config = loadRelayConfig({});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(config.PUBSUB_PROJECT_ID).toBe('rims-local');
    expect(config.PUBSUB_TOPIC).toBe('rims-item-events');
    expect(config.PUBSUB_EMULATOR_HOST).toBeUndefined();
    expect(config.RELAY_LEASE_TTL).toBe(10_000);
    expect(config.RELAY_RETENTION).toBe(86_400_000);
    expect(config.RELAY_HTTP_PORT).toBeUndefined();
    expect(relayOptionsFrom(config).http?.port).toBe(9464);
    expect(relayOptionsFrom(config, { once: true }).http).toBeUndefined();
    const options = relayOptionsFrom(config);
    expect(options.batchSize).toBe(RELAY_DEFAULTS.batchSize);
    expect(options.publishTimeoutMs).toBe(RELAY_DEFAULTS.publishTimeoutMs);
  });

  it('takes the environment, with flags overriding it and empty variables ignored', () => {
    const config = loadRelayConfig(
      { PUBSUB_TOPIC: 'from-env', RELAY_BATCH_SIZE: '100', RELAY_RETENTION: '2h', PUBSUB_EMULATOR_HOST: '' },
      { 'pubsub-topic': 'from-flag', 'lease-ttl': '30s' },
    );
    expect(config.PUBSUB_TOPIC).toBe('from-flag');
    expect(config.RELAY_BATCH_SIZE).toBe(100);
    expect(config.RELAY_RETENTION).toBe(7_200_000);
    expect(config.RELAY_LEASE_TTL).toBe(30_000);
    expect(config.PUBSUB_EMULATOR_HOST).toBeUndefined();
    expect(flagOf('RELAY_MAX_IN_FLIGHT')).toBe('max-in-flight');
    expect(flagOf('PUBSUB_EMULATOR_HOST')).toBe('pubsub-emulator-host');
  });

  it('names every invalid variable, its value and what it takes', () => {
    let error: unknown;
    try {
      loadRelayConfig({
        DATABASE_URL: 'mysql://x',
        RELAY_BATCH_SIZE: 'lots',
        RELAY_POLL_INTERVAL: '5 minutes',
        PUBSUB_EMULATOR_HOST: 'localhost',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => i.path).sort()).toEqual([
      'DATABASE_URL',
      'PUBSUB_EMULATOR_HOST',
      'RELAY_BATCH_SIZE',
      'RELAY_POLL_INTERVAL',
    ]);
    const message = (error as ConfigError).message;
    expect(message).toContain('RELAY_BATCH_SIZE: must be a whole number (got "lots")');
    expect(message).toContain("'5 minutes' is not a duration");
    expect(message).toContain('must be host:port');
  });

  it('accepts exactly the outbox schemas migrate accepts', () => {
    expect(loadRelayConfig({ OUTBOX_SCHEMA: 'inventory_outbox' }).OUTBOX_SCHEMA).toBe('inventory_outbox');
    expect(() => loadRelayConfig({ OUTBOX_SCHEMA: 'rims-outbox' })).toThrow(
      /OUTBOX_SCHEMA: schema 'rims-outbox' is not a plain postgres identifier/,
    );
    expect(() => loadRelayConfig({ OUTBOX_SCHEMA: 'x'.repeat(59) })).toThrow(/longer than 58 characters/);
  });

  it('takes the linger and idle thresholds of adaptive wake-ups, 0 allowed only for the idle one', () => {
    const defaults = relayOptionsFrom(loadRelayConfig({}));
    expect(defaults.lingerMs).toBe(RELAY_DEFAULTS.lingerMs);
    expect(defaults.idleAfterMs).toBe(RELAY_DEFAULTS.idleAfterMs);
    const config = loadRelayConfig({ RELAY_LINGER: '20ms' }, { 'idle-after': '0ms' });
    expect([config.RELAY_LINGER, config.RELAY_IDLE_AFTER]).toEqual([20, 0]);
    expect(() => loadRelayConfig({ RELAY_LINGER: '0ms' })).toThrow(/RELAY_LINGER: must be at least 1ms/);
    expect(() => loadRelayConfig({ RELAY_IDLE_AFTER: 'soon' })).toThrow(
      /RELAY_IDLE_AFTER: 'soon' is not a duration/,
    );
    expect(() => createRelay({ idleAfterMs: -1 })).toThrow(/idleAfterMs: must be at least 0ms \(got -1\)/);
    expect(() => createRelay({ lingerMs: 0 })).toThrow(/lingerMs: must be at least 1ms \(got 0\)/);
  });

  it('refuses a lease TTL a publish could outlive', () => {
    expect(() => loadRelayConfig({ RELAY_LEASE_TTL: '5s', RELAY_PUBLISH_TIMEOUT: '4s' })).toThrow(
      /RELAY_LEASE_TTL: must be longer than RELAY_HEARTBEAT_INTERVAL \+ RELAY_PUBLISH_TIMEOUT/,
    );
    expect(() => createRelay({ leaseTtlMs: 5_000, publishTimeoutMs: 4_000 })).toThrow(RelayConfigError);
    // The options' own names, not the environment variables behind them.
    expect(() => createRelay({ leaseTtlMs: 5_000, publishTimeoutMs: 4_000 })).toThrow(
      /leaseTtlMs: must be longer than heartbeatIntervalMs \+ publishTimeoutMs/,
    );
    expect(() => createRelay({ batchSize: 0 })).toThrow(/batchSize: must be at least 1 \(got 0\)/);
    expect(() => createRelay({ schema: 'Bad-Schema' })).toThrow(/schema 'Bad-Schema'/);
  });

  it('backs off exponentially with jitter, capped', () => {
    const options = { initialMs: 100, maxMs: 1_000 };
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1_000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });
});
