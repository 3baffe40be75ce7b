import { PubSub } from '@google-cloud/pubsub';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  emulatorClientConfig,
  freePort,
  migrateDatabase,
  startPubSubEmulator,
  startThrowawayPostgres,
  useTestDatabase,
  useTestPubSub,
  waitFor,
  type ManagedPubSubEmulator,
  type ThrowawayPostgres,
} from '@rims/test-harness/vitest';
import { createRelay, type Relay } from '../src/index.js';
import { freezableProxy } from './freezable-proxy.js';
import {
  committedEvent,
  distinctIds,
  firstArrivals,
  orderedTopic,
  outbox,
  outOfOrder,
  testLogger,
  type Received,
} from './helpers.js';

const database = useTestDatabase({ label: 'relay_outages' });
const pubsub = useTestPubSub();

/** Fast failure detection, so outages are noticed and healed within a test's time. */
const FAST = {
  heartbeatIntervalMs: 300,
  leaseTtlMs: 5_000,
  publishTimeoutMs: 1_500,
  backoffInitialMs: 50,
  backoffMaxMs: 1_000,
  logger: testLogger,
};

/** Enqueues `rounds` events for each subject, one transaction per round, retrying while the database is down. */
async function produce(
  db: Kysely<unknown>,
  subjects: readonly string[],
  rounds: number,
  onRound?: (round: number) => Promise<void>,
) {
  for (let round = 1; round <= rounds; round++) {
    const events = subjects.map((subject) => committedEvent(subject));
    await waitFor(
      async () => {
        await db.transaction().execute((trx) => outbox.enqueue(trx, events));
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `round ${String(round)} to be enqueued` },
    );
    await onRound?.(round);
  }
  return subjects.length * rounds;
}

/**
 * Takes an exclusive lock on the outbox table, which stops the relay fetching and recording (and
 * writers writing) until the returned function releases it.
 */
async function lockOutbox(databaseUrl: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE rims_outbox.events IN ACCESS EXCLUSIVE MODE');
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

describe('a Pub/Sub outage', () => {
  let emulator: ManagedPubSubEmulator | undefined;
  let relay: Relay | undefined;
  afterAll(async () => {
    await relay?.stop({ timeout: 2_000 });
    await emulator?.stop();
  });

  it('pauses publishing and resumes it without losing or reordering events (pause, then stop and restart)', async () => {
    const db = database.kysely<unknown>();
    emulator = await startPubSubEmulator({ projectId: pubsub.projectId });
    const managed = emulator;
    const names = { topic: 'outage-events', subscription: 'outage-sub' };
    const accepted: string[] = [];
    let client = new PubSub(emulatorClientConfig(managed.host, managed.projectId));
    const before = await orderedTopic(client, names);
    relay = createRelay({
      ...FAST,
      databaseUrl: database.url,
      emulatorHost: managed.host,
      projectId: managed.projectId,
      topic: names.topic,
      pollIntervalMs: 200,
      onPublished: (events) => {
        for (const event of events) accepted.push(event.id);
      },
    });
    await relay.start();
    const running = relay;

    const subjects = Array.from({ length: 20 }, (_, i) => `item-ps-${String(i)}`);
    const ROUNDS = 30;
    let acceptedBeforeStop = new Set<string>();
    let after: Awaited<ReturnType<typeof orderedTopic>> | undefined;

    // Faults run beside the producer, which keeps committing events throughout.
    let faults: Promise<void> = Promise.resolve();
    const total = await produce(db, subjects, ROUNDS, async (round) => {
      if (round === 5) {
        await waitFor(() => before.received.length >= 40, {
          timeoutMs: 20_000,
          description: 'events before the pause',
        });
        // Unresponsive (SIGSTOP) for longer than a publish deadline: requests time out, then heal.
        managed.pause();
        faults = (async () => {
          await waitFor(() => running.health().details.pubsub === 'failing', {
            timeoutMs: 20_000,
            description: 'the relay to notice the unresponsive emulator',
          });
          managed.resume();
        })();
      }
      if (round === 15) {
        await faults;
        await waitFor(() => before.received.length >= 200, {
          timeoutMs: 30_000,
          description: 'events before the stop',
        });
        // Stopped: the emulator forgets its topics and undelivered messages.
        await managed.stop();
        faults = (async () => {
          await waitFor(() => running.health().details.pubsub === 'failing', {
            timeoutMs: 20_000,
            description: 'publishes to the stopped emulator to fail',
          });
          await before.close();
          await client.close();
          // A message published to a topic that has no subscription yet is dropped, so the relay
          // must not publish between the topic's re-creation and its subscription's. Lock it out of
          // the outbox (its next fetch waits) until both exist, once its publishes have all failed
          // (and the last accepted ones are recorded, which the lock would hold up).
          const nothingInFlight = () =>
            waitFor(() => running.health().details.inFlight === 0, {
              timeoutMs: 20_000,
              description: 'the publishes to the stopped emulator to fail',
            });
          await nothingInFlight();
          const unlock = await lockOutbox(database.url);
          try {
            await nothingInFlight();
            // Whatever was accepted so far, the old emulator accepted, and may have lost.
            acceptedBeforeStop = new Set(accepted);
            await managed.start();
            client = new PubSub(emulatorClientConfig(managed.host, managed.projectId));
            after = await orderedTopic(client, names);
          } finally {
            await unlock();
          }
        })();
      }
    });
    await faults;
    if (!after) throw new Error('the emulator was never restarted');
    const afterRestart = after;

    const all = await sql<{ id: string; subject: string; sequence: string }>`
      SELECT id::text AS id, subject, sequence::text AS sequence FROM rims_outbox.events`.execute(db);
    expect(all.rows).toHaveLength(total);
    const mustArrive = all.rows.filter((r) => !acceptedBeforeStop.has(r.id));
    expect(mustArrive.length).toBeGreaterThan(subjects.length * 10);
    await waitFor(
      () => {
        const ids = distinctIds([...before.received, ...afterRestart.received]);
        return mustArrive.every((r) => ids.has(r.id));
      },
      {
        timeoutMs: 40_000,
        intervalMs: 200,
        description: 'every event not accepted by the stopped emulator to arrive',
      },
    );

    // Order: each subject's first deliveries increase; the only gaps are events the stopped emulator
    // had accepted and lost.
    const received: Received[] = [...before.received, ...afterRestart.received];
    const sequenceOf = new Map(all.rows.map((r) => [`${r.subject}/${r.sequence}`, r.id]));
    for (const [subject, sequences] of firstArrivals(received)) {
      for (let i = 1; i < sequences.length; i++) {
        expect(sequences[i], `${subject} in order`).toBeGreaterThan(sequences[i - 1] ?? 0);
      }
      for (let sequence = 1; sequence <= ROUNDS; sequence++) {
        if (sequences.includes(sequence)) continue;
        expect(
          acceptedBeforeStop.has(sequenceOf.get(`${subject}/${String(sequence)}`) ?? ''),
          `${subject}/${String(sequence)} accepted by the emulator that was stopped`,
        ).toBe(true);
      }
    }
    // Ready once the relay has a publish's answer, which may come after subscribers got the message.
    await waitFor(() => running.health().ready, { timeoutMs: 5_000, description: 'the relay to be ready' });
    const metrics = await running.metrics.metrics();
    expect(metrics).toMatch(/rims_relay_publish_retries_total\{kind="systemic"\} [1-9]/);
    expect(metrics).toContain('rims_relay_events_parked_dead_total 0');
    const attempts = await sql<{ max: number }>`SELECT max(attempts) AS max FROM rims_outbox.events`.execute(
      db,
    );
    expect(attempts.rows[0]?.max, "an outage spends none of the events' own attempts").toBe(0);
    await afterRestart.close();
    await client.close();
  });

  it('resumes within moments of a blip, however many subjects failed in it', async () => {
    if (!emulator) throw new Error('the previous test starts the emulator');
    const managed = emulator;
    const db = database.kysely<unknown>();
    // The relay of the previous test publishes from the same database: this test has its own.
    await relay?.stop({ timeout: 2_000 });
    const client = new PubSub(emulatorClientConfig(managed.host, managed.projectId));
    const { received, close } = await orderedTopic(client, {
      topic: 'blip-events',
      subscription: 'blip-sub',
    });
    const blipRelay = createRelay({
      ...FAST,
      // A long ceiling: counting each failed subject of one blip as another failure would reach it.
      backoffMaxMs: 30_000,
      databaseUrl: database.url,
      emulatorHost: managed.host,
      projectId: managed.projectId,
      topic: 'blip-events',
      pollIntervalMs: 200,
    });
    relay = blipRelay;
    try {
      await blipRelay.start();
      managed.pause();
      const subjects = Array.from({ length: 30 }, (_, i) => `item-blip-${String(i)}`);
      await produce(db, subjects, 1);
      await waitFor(() => blipRelay.health().details.pubsub === 'failing', {
        timeoutMs: 20_000,
        description: 'the relay to notice the unresponsive emulator',
      });
      managed.resume();
      await waitFor(() => new Set(received.map((r) => r.event.subject)).size === subjects.length, {
        timeoutMs: 8_000,
        description: 'every subject of the blip to be published soon after it',
      });
    } finally {
      managed.resume();
      await close();
      await client.close();
    }
  });
});

describe('a Pub/Sub that refuses connections', () => {
  it('fails each publish within its deadline, so a subject is not held past it', async () => {
    const db = database.kysely<unknown>();
    const publishTimeoutMs = 1_000;
    const relay = createRelay({
      ...FAST,
      publishTimeoutMs,
      databaseUrl: database.url,
      // Nothing listens here: every connection attempt is refused at once.
      emulatorHost: `127.0.0.1:${String(await freePort())}`,
      projectId: pubsub.projectId,
      topic: 'refused-events',
      pollIntervalMs: 100,
    });
    try {
      await relay.start();
      const subjects = Array.from({ length: 10 }, (_, i) => `item-refused-${String(i)}`);
      await produce(db, subjects, 1);
      const committed = performance.now();
      // Each subject is its own publish request, each retried by the client until its deadline.
      await waitFor(
        async () => {
          const failed = await sql<{ count: string }>`
            SELECT count(*)::text AS count FROM rims_outbox.events
            WHERE subject LIKE 'item-refused-%' AND last_error IS NOT NULL`.execute(db);
          return failed.rows[0]?.count === String(subjects.length);
        },
        { timeoutMs: 30_000, intervalMs: 50, description: 'every publish to fail' },
      );
      // The deadline, plus a quarter of it for the last retry's sleep, plus time to fetch and record
      // on a loaded machine. The client's default retries overshoot by up to 25.6 s per publish.
      expect(performance.now() - committed).toBeLessThan(publishTimeoutMs * 1.25 + 2_000);
    } finally {
      await relay.stop({ timeout: 2_000 });
    }
  });
});

describe('a PostgreSQL that stops answering', () => {
  it('does not hold the shutdown past its timeout', async () => {
    const db = database.kysely<unknown>();
    const proxy = await freezableProxy(database.url);
    const topic = pubsub.uniqueName('frozen');
    const { received, close } = await orderedTopic(pubsub.client(), {
      topic,
      subscription: pubsub.uniqueName('frozen-sub'),
    });
    const relay = createRelay({
      ...FAST,
      databaseUrl: proxy.url,
      emulatorHost: pubsub.host,
      projectId: pubsub.projectId,
      topic,
      pollIntervalMs: 100,
    });
    try {
      await relay.start();
      await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-frozen')));
      await waitFor(() => received.some((r) => r.event.subject === 'item-frozen'), {
        description: 'the relay to publish through the proxy',
      });
      // Partitioned: the relay's next fetch and heartbeat hang (until the 30 s query timeout).
      proxy.freeze();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const asked = performance.now();
      const stopped = await Promise.race([
        relay.stop({ timeout: 1_500 }),
        new Promise<'hung'>((resolve) =>
          setTimeout(() => {
            resolve('hung');
          }, 10_000),
        ),
      ]);
      expect(stopped).not.toBe('hung');
      // The timeout, plus at most a second each to give up on releasing leases and closing.
      expect(performance.now() - asked).toBeLessThan(1_500 + 4_000);
    } finally {
      await relay.stop({ timeout: 0 });
      await proxy.close();
      await close();
    }
  });
});

describe('a PostgreSQL restart', () => {
  let server: ThrowawayPostgres | undefined;
  let relay: Relay | undefined;
  let db: Kysely<unknown> | undefined;
  afterAll(async () => {
    await relay?.stop({ timeout: 2_000 });
    await db?.destroy();
    await server?.destroy();
  });

  it('is ridden out: nothing lost, order kept, LISTEN reconnected', async () => {
    server = await startThrowawayPostgres();
    const throwaway = server;
    await migrateDatabase(throwaway.url);
    const pool = new pg.Pool({ connectionString: throwaway.url, max: 2 });
    pool.on('error', () => undefined);
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const names = {
      topic: pubsub.uniqueName('pg-restart'),
      subscription: pubsub.uniqueName('pg-restart-sub'),
    };
    const { received, close } = await orderedTopic(pubsub.client(), names);
    relay = createRelay({
      ...FAST,
      databaseUrl: throwaway.url,
      emulatorHost: pubsub.host,
      projectId: pubsub.projectId,
      topic: names.topic,
      // Polling effectively off: after the restart only a reconnected LISTEN wakes the relay promptly.
      pollIntervalMs: 60_000,
    });
    await relay.start();
    const running = relay;

    const subjects = Array.from({ length: 20 }, (_, i) => `item-pg-${String(i)}`);
    const ROUNDS = 20;
    const total = await produce(db, subjects, ROUNDS, async (round) => {
      if (round === 8) {
        await waitFor(() => received.length >= 60, {
          timeoutMs: 20_000,
          description: 'events before the restart',
        });
        await throwaway.stop();
        await waitFor(() => running.health().details.wakeListener === 'polling', {
          timeoutMs: 10_000,
          description: 'the relay to notice',
        });
        await throwaway.start();
      }
    });

    await waitFor(() => distinctIds(received).size >= total, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: `all ${String(total)} events after the restart`,
    });
    expect(outOfOrder(received, ROUNDS)).toEqual([]);

    await waitFor(() => running.health().details.wakeListener === 'connected', {
      timeoutMs: 20_000,
      description: 'LISTEN to reconnect',
    });
    const started = Date.now();
    await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-pg-after')));
    await waitFor(() => received.some((r) => r.event.subject === 'item-pg-after'), {
      timeoutMs: 10_000,
      description: 'an event after the restart',
    });
    expect(Date.now() - started, 'woken by NOTIFY, not the 60 s poll').toBeLessThan(5_000);
    expect(running.health().ready).toBe(true);
    await close();
  });
});
