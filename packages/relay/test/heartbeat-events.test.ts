import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay, loadRelayConfig, type Relay } from '../src/index.js';
import { orderedTopic, relayOptions, type Received } from './helpers.js';

const database = useTestDatabase({ label: 'relay_heartbeat_events' });
const pubsub = useTestPubSub();

describe('RELAY_HEARTBEAT_EVENT_INTERVAL', () => {
  it('defaults to 30s; 0 turns heartbeat events off', () => {
    expect(loadRelayConfig({}).RELAY_HEARTBEAT_EVENT_INTERVAL).toBe(30_000);
    expect(loadRelayConfig({ RELAY_HEARTBEAT_EVENT_INTERVAL: '0' }).RELAY_HEARTBEAT_EVENT_INTERVAL).toBe(0);
    expect(() => loadRelayConfig({ RELAY_HEARTBEAT_EVENT_INTERVAL: 'often' })).toThrow(
      /RELAY_HEARTBEAT_EVENT_INTERVAL.*'often' is not a duration/,
    );
  });
});

describe('heartbeat events', () => {
  let relay: Relay;
  let received: Received[];
  let close: () => Promise<void>;

  beforeAll(async () => {
    const topic = pubsub.uniqueName('heartbeat');
    ({ received, close } = await orderedTopic(pubsub.client(), {
      topic,
      subscription: pubsub.uniqueName('heartbeat-sub'),
    }));
    relay = createRelay({
      ...relayOptions(database.url, pubsub, topic),
      replicaId: 'hb-replica-1',
      heartbeatEventIntervalMs: 300,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop({ timeout: 5_000 });
    await close();
  });

  it('enqueues one through the outbox every interval, published like any event', async () => {
    await waitFor(() => received.length >= 3, { timeoutMs: 15_000, description: 'three heartbeats' });
    const firsts = received.slice(0, 3);
    for (const [index, { event, message }] of firsts.entries()) {
      expect(event.type).toBe('rims.pipeline.heartbeat.v1');
      expect(event.subject).toBe('heartbeat/hb-replica-1');
      expect(event.source).toBe('//rims/relay');
      expect(event.sequence).toBe(String(index + 1));
      expect(message.orderingKey).toBe('heartbeat/hb-replica-1');
      // What a subscription filter on the type reads.
      expect(message.attributes['ce-type']).toBe('rims.pipeline.heartbeat.v1');
      const data = event.data as { replica: string; sent_at: string };
      expect(data.replica).toBe('hb-replica-1');
      expect(Date.parse(data.sent_at)).toBe(Date.parse(event.time));
    }
  });

  it('exposes the heartbeat commit-to-publish lag on /metrics', async () => {
    const text = await relay.metrics.metrics();
    const lag = /^rims_relay_heartbeat_commit_to_publish_seconds (\S+)$/m.exec(text)?.[1];
    expect(Number(lag), 'published within the test, so well under 5 s').toBeGreaterThan(0);
    expect(Number(lag)).toBeLessThan(5);
    const enqueued = /^rims_relay_heartbeat_events_enqueued_total (\S+)$/m.exec(text)?.[1];
    expect(Number(enqueued)).toBeGreaterThanOrEqual(3);
  });
});

describe('heartbeat events turned off', () => {
  it('sends none with an interval of 0', async () => {
    const topic = pubsub.uniqueName('no-heartbeat');
    const { received, close } = await orderedTopic(pubsub.client(), {
      topic,
      subscription: pubsub.uniqueName('no-heartbeat-sub'),
    });
    const relay = createRelay({
      ...relayOptions(database.url, pubsub, topic),
      replicaId: 'hb-replica-off',
      heartbeatEventIntervalMs: 0,
    });
    await relay.start();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await relay.stop({ timeout: 5_000 });
    await close();
    expect(received).toEqual([]);
    expect(await relay.metrics.metrics()).toMatch(/^rims_relay_heartbeat_events_enqueued_total 0$/m);
  });
});
