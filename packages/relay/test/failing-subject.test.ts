import { createServer } from 'node:net';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay, type ParkedEvent, type Relay } from '../src/index.js';
import { committedEvent, countEvents, outbox, uniqueOrderedTopic, relayOptions } from './helpers.js';

const database = useTestDatabase({ label: 'relay_failing_subject' });
const pubsub = useTestPubSub();
const relays: Relay[] = [];
afterAll(async () => {
  await Promise.all(relays.map((relay) => relay.stop({ timeout: 5_000 })));
});

/** Enqueues one valid event for `subject`, then makes its data invalid for the catalogue. */
async function enqueuePoison(db: Kysely<unknown>, subject: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const [row] = await outbox.enqueue(trx, committedEvent(subject));
    await sql`UPDATE rims_outbox.events SET data = jsonb_set(data, '{quantity}', '0') WHERE id = ${row?.id}`.execute(
      trx,
    );
    return row?.id ?? '';
  });
}

/** Connections a relay opened, by the application_name it gives them. */
async function relayConnections(db: Kysely<unknown>, relay: Relay): Promise<number> {
  const result = await sql<{ n: string }>`
    SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${`rims-relay ${relay.replicaId}`.slice(0, 63)}`.execute(
    db,
  );
  return Number(result.rows[0]?.n);
}

/**
 * Waits until `relay` has no connection left. A closed connection's backend leaves
 * pg_stat_activity a moment after the client ends it; a pool left open would keep its idle
 * connections for its 10 s idle timeout, far longer than this waits.
 */
async function expectNoRelayConnections(db: Kysely<unknown>, relay: Relay): Promise<void> {
  await waitFor(async () => (await relayConnections(db, relay)) === 0, {
    timeoutMs: 2_000,
    intervalMs: 50,
    description: "the relay's database connections to close",
  });
}

describe('a subject whose event cannot be published', () => {
  it('sends none of its later events ahead of it, and parks it after max attempts', async () => {
    const db = database.kysely<unknown>();
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'failing');
    try {
      // Sequence 2 cannot be sent at all (invalid data). With fetches of 3, the first fetch holds
      // sequences 1 to 3 and the next would find 4 to 6 while sequence 1 is still being sent.
      await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-f')));
      const poison = await enqueuePoison(db, 'item-f');
      for (let i = 0; i < 4; i++) {
        await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-f')));
      }
      const parked: ParkedEvent[] = [];
      const relay = createRelay({
        ...relayOptions(database.url, pubsub, topic),
        batchSize: 3,
        maxInFlight: 30,
        maxAttempts: 3,
        backoffInitialMs: 20,
        backoffMaxMs: 200,
        pollIntervalMs: 200,
        onDead: (event) => parked.push(event),
      });
      relays.push(relay);
      await relay.start();

      await waitFor(() => parked.length === 1 && received.length >= 5, {
        timeoutMs: 30_000,
        description: 'the poison event to be parked and the others to arrive',
      });
      expect(parked[0]?.id).toBe(poison);
      expect(
        received.map((r) => Number(r.event.sequence)),
        'published in sequence order, sequence 2 parked',
      ).toEqual([1, 3, 4, 5, 6]);
    } finally {
      // Stopped here: the lifecycle tests below need a database no other relay publishes from.
      await Promise.all(relays.splice(0).map((relay) => relay.stop({ timeout: 5_000 })));
      await close();
    }
  });

  it('is retried with a delay that doubles at each failed attempt', async () => {
    const db = database.kysely<unknown>();
    const stuck = await enqueuePoison(db, 'item-stuck');
    const relay = createRelay({
      ...relayOptions(database.url, pubsub, pubsub.uniqueName('stuck')),
      maxAttempts: 100,
      backoffInitialMs: 100,
      backoffMaxMs: 60_000,
      pollIntervalMs: 100,
    });
    relays.push(relay);
    try {
      await relay.start();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      await Promise.all(relays.splice(0).map((r) => r.stop({ timeout: 5_000 })));
    }
    const attempts = await sql<{ attempts: number }>`
      SELECT attempts FROM rims_outbox.events WHERE id = ${stuck}`.execute(db);
    // Delays of at least 50, 100, 200, 400, 800 and 1,600 ms (doubling from 100 ms, less at most
    // half for jitter) fit at most 6 retries into 3 s; a delay that never grows would allow 30.
    expect(attempts.rows[0]?.attempts).toBeGreaterThanOrEqual(2);
    expect(attempts.rows[0]?.attempts).toBeLessThanOrEqual(7);
  });
});

describe('the relay lifecycle', () => {
  it('shuts down cleanly when stop() comes while start() is still starting', async () => {
    const db = database.kysely<unknown>();
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'stop-early');
    try {
      const relay = createRelay({
        ...relayOptions(database.url, pubsub, topic),
        pollIntervalMs: 100,
      });
      const starting = relay.start();
      const stopped = await relay.stop({ timeout: 2_000 });
      await starting;
      expect(stopped.drained).toBe(true);
      expect(relay.health().healthy, 'a stopped relay reports itself unhealthy').toBe(false);

      const pendingBefore = await countEvents(db, 'pending');
      await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-after-stop')));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(received.filter((r) => r.event.subject === 'item-after-stop')).toEqual([]);
      expect(await countEvents(db, 'pending')).toBe(pendingBefore + 1);
      await expectNoRelayConnections(db, relay);
      const registered = await sql<{ n: string }>`
        SELECT count(*) AS n FROM rims_outbox.relay_replicas WHERE replica_id = ${relay.replicaId}`.execute(
        db,
      );
      expect(Number(registered.rows[0]?.n)).toBe(0);
    } finally {
      await close();
    }
  });

  it('closes its connections when start() fails because its HTTP port is taken', async () => {
    const db = database.kysely<unknown>();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const relay = createRelay({
        ...relayOptions(database.url, pubsub, pubsub.uniqueName('port-taken')),
        http: { port, host: '127.0.0.1' },
      });
      await expect(relay.start()).rejects.toThrow(/EADDRINUSE/);
      await expectNoRelayConnections(db, relay);
      expect((await relay.stop()).drained).toBe(true);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
