import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxWakeChannel } from '@rims/outbox';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay, type Relay } from '../src/index.js';
import { committedEvent, distinctIds, outbox, uniqueOrderedTopic, relayOptions } from './helpers.js';

const database = useTestDatabase({ label: 'relay_wake_ups' });
const pubsub = useTestPubSub();

async function waitingReplicas(db: Kysely<unknown>): Promise<string[]> {
  const rows = await sql<{ replica_id: string }>`
    SELECT replica_id FROM rims_outbox.relay_waiting ORDER BY replica_id`.execute(db);
  return rows.rows.map((row) => row.replica_id);
}

/** Counts the commit notifications on the outbox channel, as a relay's LISTEN would see them. */
async function countNotifications(url: string): Promise<{ count: () => number; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let count = 0;
  client.on('notification', () => {
    count += 1;
  });
  await client.query(`LISTEN ${pg.escapeIdentifier(outboxWakeChannel('rims_outbox'))}`);
  return { count: () => count, close: () => client.end() };
}

describe('adaptive wake-ups', () => {
  let relay: Relay;
  let topic: Awaited<ReturnType<typeof uniqueOrderedTopic>>;
  let notifications: Awaited<ReturnType<typeof countNotifications>>;

  beforeAll(async () => {
    topic = await uniqueOrderedTopic(pubsub, 'wake');
    notifications = await countNotifications(database.url);
    relay = createRelay({
      ...relayOptions(database.url, pubsub, topic.topic),
      replicaId: 'relay-wake',
      heartbeatIntervalMs: 300,
      // Polling effectively off: only a NOTIFY can wake the relay promptly once it waits.
      pollIntervalMs: 60_000,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop({ timeout: 5_000 });
    await notifications.close();
    await topic.close();
  });

  it('marks an idle relay as waiting, and a NOTIFY wakes it within well under the poll interval', async () => {
    const db = database.kysely<unknown>();
    // The relay knows of its mark once it has the INSERT's answer, a moment after the row is visible.
    await waitFor(
      async () =>
        relay.health().details.waitingForWakeUp === true &&
        (await waitingReplicas(db)).includes('relay-wake'),
      { timeoutMs: 10_000, description: 'the idle relay to mark itself as waiting' },
    );
    expect(await relay.metrics.metrics()).toContain('rims_relay_waiting_for_wakeup 1');

    const before = notifications.count();
    const started = Date.now();
    const [row] = await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-wake')));
    await waitFor(() => distinctIds(topic.received).has(row?.id ?? ''), {
      timeoutMs: 10_000,
      description: 'the event',
    });
    expect(Date.now() - started, 'woken by NOTIFY, not by the 60 s poll').toBeLessThan(3_000);
    expect(notifications.count()).toBeGreaterThan(before);

    // Idle again: it marks itself again, so the next sparse commit wakes it too.
    await waitFor(async () => (await waitingReplicas(db)).includes('relay-wake'), {
      timeoutMs: 10_000,
      description: 'the relay to wait again',
    });
  });

  it('does not ask writers to NOTIFY while traffic keeps it busy', async () => {
    const db = database.kysely<unknown>();
    await waitFor(async () => (await waitingReplicas(db)).includes('relay-wake'), {
      timeoutMs: 10_000,
      description: 'the relay to wait before the traffic',
    });
    // Back-to-back commits, each one event: steady traffic. The first commit finds
    // the relay waiting and notifies; after that the relay lingers and writers see no waiting relay.
    const before = notifications.count();
    const ids: string[] = [];
    const sawWaiting: boolean[] = [];
    // At least two seconds and 300 commits (a loaded machine commits more slowly), at most 30 s.
    const started = Date.now();
    for (let i = 0; Date.now() - started < (i < 300 ? 30_000 : 2_000); i++) {
      const [row] = await db
        .transaction()
        .execute((trx) => outbox.enqueue(trx, committedEvent(`item-busy-${String(i % 20)}`)));
      ids.push(row?.id ?? '');
      if (i % 25 === 0) sawWaiting.push((await waitingReplicas(db)).length > 0);
    }
    await waitFor(() => ids.every((id) => distinctIds(topic.received).has(id)), {
      timeoutMs: 20_000,
      description: 'every event of the traffic',
    });
    // Notifications are delivered in commit order: this sentinel arrives after all of the traffic's.
    const sentinel = notifications.count() + 1;
    await sql`SELECT pg_notify(${outboxWakeChannel('rims_outbox')}, 'sentinel')`.execute(db);
    await waitFor(() => notifications.count() >= sentinel, { description: 'the sentinel' });
    const notified = notifications.count() - 1 - before;

    expect(ids.length, 'enough traffic to judge').toBeGreaterThanOrEqual(300);
    // A scheduling stall of more than the idle threshold (50 ms) on this shared machine may let the
    // relay mark itself for a moment; writers then notify once. Eager marking notifies on most commits.
    expect(
      notified,
      `${String(notified)} notifications for ${String(ids.length)} commits`,
    ).toBeLessThanOrEqual(Math.max(3, ids.length * 0.03));
    expect(
      sawWaiting.filter(Boolean).length,
      'samples of relay_waiting during the traffic',
    ).toBeLessThanOrEqual(Math.max(1, sawWaiting.length * 0.1));
    // Up to 30 s of traffic and 20 s to deliver it on a loaded machine.
  }, 90_000);

  it("removes a wait mark whose replica is not live, at another replica's heartbeat", async () => {
    const db = database.kysely<unknown>();
    await sql`INSERT INTO rims_outbox.relay_waiting (replica_id) VALUES ('relay-gone')`.execute(db);
    await waitFor(async () => !(await waitingReplicas(db)).includes('relay-gone'), {
      timeoutMs: 5_000,
      description: "the dead replica's mark to be pruned",
    });
    expect(await waitingReplicas(db)).toEqual(['relay-wake']);
  });

  it('removes its mark when it stops', async () => {
    const db = database.kysely<unknown>();
    await waitFor(async () => (await waitingReplicas(db)).includes('relay-wake'), {
      timeoutMs: 10_000,
      description: 'the relay to wait',
    });
    await relay.stop({ timeout: 5_000 });
    expect(await waitingReplicas(db)).toEqual([]);
  });
});

describe('a wait mark lost in a crash', () => {
  it('is set again within a poll interval (a crash empties the unlogged table)', async () => {
    const db = database.kysely<unknown>();
    const { topic, close } = await uniqueOrderedTopic(pubsub, 'wake-lost');
    const relay = createRelay({
      ...relayOptions(database.url, pubsub, topic),
      replicaId: 'relay-refresh',
      pollIntervalMs: 300,
    });
    await relay.start();
    try {
      await waitFor(
        async () =>
          relay.health().details.waitingForWakeUp === true &&
          (await waitingReplicas(db)).includes('relay-refresh'),
        { timeoutMs: 10_000, description: 'the relay to wait' },
      );
      await sql`TRUNCATE rims_outbox.relay_waiting`.execute(db);
      expect(relay.health().details.waitingForWakeUp, 'the relay cannot know').toBe(true);
      await waitFor(async () => (await waitingReplicas(db)).includes('relay-refresh'), {
        timeoutMs: 5_000,
        description: 'the mark to be set again',
      });
    } finally {
      await relay.stop({ timeout: 5_000 });
      await close();
    }
  });
});
