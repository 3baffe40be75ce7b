import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  refuseReconnects,
  startFaultProxy,
  useTestDatabase,
  useTestPubSub,
  waitFor,
  type FaultProxy,
} from '@rims/test-harness/vitest';
import { createRelay, type Relay, type RelayOptions } from '../src/index.js';
import {
  committedEvent,
  countEvents,
  distinctIds,
  enqueueRoundRobin,
  keptLogger,
  outbox,
  testLogger,
  uniqueOrderedTopic,
} from './helpers.js';

const database = useTestDatabase({ label: 'relay_pubsub_degraded' });
const pubsub = useTestPubSub();

/** A relay publishing to `topic` through `faults`, with short backoffs and polls. */
function relayThrough(faults: FaultProxy, topic: string, options: Partial<RelayOptions>): Relay {
  return createRelay({
    databaseUrl: database.url,
    emulatorHost: faults.host,
    projectId: pubsub.projectId,
    topic,
    backoffInitialMs: 50,
    backoffMaxMs: 1_000,
    pollIntervalMs: 100,
    ...options,
  });
}

describe('a degraded Pub/Sub', () => {
  let relay: Relay | undefined;
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await relay?.stop({ timeout: 2_000 });
    await proxy?.close();
  });

  // gRPC's own reconnect backoff grows by 1.6 per failed connection attempt up to 120 s, and a
  // publish cannot start before the channel reconnects: without a cap, a relay that lived through a
  // minute of outage could sit idle for up to two more after Pub/Sub was back (the likely cause of
  // an e2e run under faults that published nothing for 90 s after the emulator restart).
  it('back after a long outage: publishes again within RELAY_BACKOFF_MAX, however many reconnects failed', async () => {
    const backoffMaxMs = 1_000;
    const publishTimeoutMs = 1_500;
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'reconnect');
    proxy = await startFaultProxy(pubsub.host);
    const faults = proxy;
    const logs = keptLogger(5);
    relay = relayThrough(faults, topic, {
      logger: logs.logger,
      heartbeatIntervalMs: 300,
      leaseTtlMs: 5_000,
      publishTimeoutMs,
      backoffMaxMs,
    });
    const db = database.kysely<unknown>();
    try {
      await relay.start();
      await db.transaction().execute((trx) => outbox.enqueue(trx, [committedEvent('item-reconnect-first')]));
      await waitFor(() => received.length >= 1, { timeoutMs: 20_000, description: 'the first publish' });

      // Six refused reconnects: gRPC's next wait would be 1.6^6 s = 16.8 s (±20 %) without the cap.
      const outage = refuseReconnects(faults, 6);
      const subjects = Array.from({ length: 5 }, (_, i) => `item-reconnect-${String(i)}`);
      await enqueueRoundRobin(db, subjects, 1, subjects.length);
      await outage;
      const healed = performance.now();
      // Distinct events: a publish answered after its deadline is sent again (at least once).
      await waitFor(() => distinctIds(received).size === 1 + subjects.length, {
        timeoutMs: 60_000,
        intervalMs: 20,
        description: () =>
          `every event of the outage to be published; received ${String(received.length)} messages of ${[
            ...new Set(received.map((r) => r.event.subject)),
          ].join(', ')}; the relay's last warnings:\n${logs.lines().join('\n')}`,
      });
      const recoveryMs = performance.now() - healed;
      // One reconnect wait, one publish attempt with its retries, one relay backoff, and slack for a
      // loaded machine.
      expect(recoveryMs).toBeLessThan(backoffMaxMs + publishTimeoutMs * 1.25 + backoffMaxMs + 2_000);
    } finally {
      await close();
    }
  }, 120_000);

  // Each failed request is written to the outbox (its event's last error), so every subject retrying
  // in every wave of an outage rewrites every pending row, again and again. The window gets to one
  // probe in two waves: the first halves the requests, the second, with nothing accepted since,
  // leaves one (halving on, these 200 subjects failed 396 and 397 times in two runs).
  it('unreachable: one request probes after two failed waves, and all goes out once it is back', async () => {
    const subjects = Array.from({ length: 200 }, (_, i) => `item-down-${String(i).padStart(3, '0')}`);
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'down');
    proxy = await startFaultProxy(pubsub.host);
    const faults = proxy;
    const db = database.kysely<unknown>();
    const outage = faults.inject(['drop', 'refuse'], 120_000);
    try {
      await enqueueRoundRobin(db, subjects, 1, subjects.length);
      const probing = relayThrough(faults, topic, {
        logger: testLogger,
        publishTimeoutMs: 1_500,
        heartbeatEventIntervalMs: 0,
      });
      relay = probing;
      await probing.start();
      const total = async (name: string) =>
        ((await probing.metrics.getSingleMetric(name)?.get())?.values ?? []).reduce(
          (sum, v) => sum + v.value,
          0,
        );
      const window = () => total('rims_relay_publish_request_window');
      const failures = () => total('rims_relay_publish_retries_total');
      let seen = '';
      await waitFor(
        async () => {
          const size = await window();
          seen = `the window is ${String(size)} after ${String(await failures())} failures`;
          return size === 1;
        },
        { timeoutMs: 20_000, intervalMs: 50, description: () => `one request to probe; ${seen}` },
      );
      await sleep(4_000);
      expect(await window()).toBe(1);
      // The two waves (all 200 subjects, then the 100 the first cut let through), recorded however
      // slowly a loaded machine writes them, then a probe per publish deadline (1.5 s) at most.
      expect(await failures()).toBeLessThanOrEqual(subjects.length * 1.5 + 4);

      faults.heal();
      await outage;
      await waitFor(() => new Set(received.map((r) => r.event.subject)).size === subjects.length, {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: () =>
          `every subject to be published once Pub/Sub is back; ${String(received.length)} messages`,
      });
      await waitFor(async () => (await countEvents(db, 'pending')) === 0, {
        timeoutMs: 10_000,
        description: 'every event to be recorded published',
      });
    } finally {
      faults.heal();
      await close();
    }
  }, 90_000);

  // A backlog over many subjects goes out as one request per subject, all at once. Through a link
  // that passes a fraction of them within the publish deadline, the requests the client gave up on
  // still go through ahead of their retries: without a limit on the requests in flight every wave
  // of retries fails behind the last, and the backlog never drains (a niced emulator, and likely a
  // loaded CI run after an emulator restart, did the same).
  it('doing less than it is sent: drains a backlog of many subjects by sending fewer requests at a time', async () => {
    const subjects = Array.from({ length: 300 }, (_, i) => `item-slow-${String(i).padStart(3, '0')}`);
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'slow');
    proxy = await startFaultProxy(pubsub.host);
    const faults = proxy;
    const logs = keptLogger(5);
    const db = database.kysely<unknown>();
    try {
      await enqueueRoundRobin(db, subjects, 1, subjects.length);
      faults.throttle(30_000);
      relay = relayThrough(faults, topic, {
        logger: logs.logger,
        publishTimeoutMs: 1_500,
        heartbeatEventIntervalMs: 0,
      });
      await relay.start();
      const published = () => new Set(received.map((r) => r.event.subject)).size;
      await waitFor(() => published() === subjects.length, {
        timeoutMs: 90_000,
        intervalMs: 100,
        description: () =>
          `every subject to be published; ${String(published())} were, ${String(faults.throttled)} bytes wait in the link; the relay's last warnings:\n${logs.lines().join('\n')}`,
      });
      // ... and recorded: nothing is left pending.
      await waitFor(async () => (await countEvents(db, 'pending')) === 0, {
        timeoutMs: 10_000,
        description: 'every event to be recorded published',
      });
    } finally {
      await close();
    }
  }, 120_000);
});
