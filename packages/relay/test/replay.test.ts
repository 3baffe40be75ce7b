import { spawnSync } from 'node:child_process';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, migrate } from '@rims/outbox';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { RelayConfigError, createRelay, replayEvents, type Relay, type ReplayResult } from '../src/index.js';
import {
  RELAY_BIN,
  collect,
  committedEvent,
  countEvents,
  distinctIds,
  outOfOrder,
  outbox,
  type Received,
  relayOptions,
} from './helpers.js';

const database = useTestDatabase({ label: 'relay_replay' });
const pubsub = useTestPubSub();

function replayCli(args: string[]) {
  const result = spawnSync(process.execPath, [RELAY_BIN, 'replay', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The database clock, as an RFC 3339 string with microseconds. */
async function databaseNow(db: Kysely<unknown>, offset = '0 seconds'): Promise<string> {
  const result = await sql<{ now: string }>`
    SELECT to_char((now() + ${offset}::interval) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now`.execute(
    db,
  );
  return result.rows[0]?.now ?? '';
}

describe('rims-relay replay, after a subscription was lost', () => {
  const topicName = pubsub.uniqueName('replay');
  const subscriptionName = pubsub.uniqueName('replay-sub');
  let relay: Relay;

  beforeAll(async () => {
    await pubsub.client().createTopic(topicName);
    relay = createRelay({
      ...relayOptions(database.url, pubsub, topicName),
    });
    await relay.start();
  });
  afterAll(async () => {
    await relay.stop({ timeout: 5_000 });
  });

  async function subscribe(): Promise<{ received: Received[]; close: () => Promise<void> }> {
    const [subscription] = await pubsub
      .client()
      .topic(topicName)
      .createSubscription(subscriptionName, { enableMessageOrdering: true, ackDeadlineSeconds: 60 });
    return collect(subscription);
  }

  it('publishes every event of the window again, in order per subject; --dry-run counts them first', async () => {
    const db = database.kysely<unknown>();
    const first = await subscribe();
    const since = await databaseNow(db);
    const subjects = ['item-rp-1', 'item-rp-2', 'item-rp-3'];
    const ROUNDS = 20;
    for (let round = 0; round < ROUNDS; round++) {
      await db.transaction().execute((trx) =>
        outbox.enqueue(
          trx,
          subjects.map((subject) =>
            round % 4 === 3
              ? {
                  type: 'rims.item.released.v1' as const,
                  subject,
                  data: { item_id: subject, order_id: 'o-1', reason: 'timeout' },
                }
              : committedEvent(subject),
          ),
        ),
      );
    }
    const total = subjects.length * ROUNDS;
    await waitFor(() => distinctIds(first.received).size === total, {
      timeoutMs: 20_000,
      description: 'every event on the first subscription',
    });
    await waitFor(async () => (await countEvents(db, 'published')) === total, {
      description: 'every event recorded as published',
    });

    // The subscription is deleted and created again: what was published before is gone for it.
    await first.close();
    await pubsub.client().subscription(subscriptionName).delete();
    const second = await subscribe();

    const dry = replayCli(['--since', since, '--dry-run', '--json']);
    expect(dry.status, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as ReplayResult;
    expect(plan).toMatchObject({
      since,
      dryRun: true,
      events: total,
      byType: { 'rims.item.committed.v1': 45, 'rims.item.released.v1': 15 },
      batches: 0,
    });
    expect(await countEvents(db, 'pending'), 'a dry run changes nothing').toBe(0);
    expect(second.received, 'the new subscription got none of the earlier events').toEqual([]);

    const replay = replayCli(['--since', since, '--until', plan.until]);
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`put ${String(total)} event(s) published from ${since}`);
    expect(replay.stdout).toMatch(/rims\.item\.released\.v1 +15/);

    await waitFor(() => distinctIds(second.received).size === total, {
      timeoutMs: 20_000,
      description: 'every event again, on the new subscription',
    });
    expect(distinctIds(second.received)).toEqual(distinctIds(first.received));
    expect(outOfOrder(second.received, ROUNDS)).toEqual([]);
    await waitFor(async () => (await countEvents(db, 'published')) === total, {
      description: 'the replayed events recorded as published again',
    });
    await second.close();
  });

  it('refuses a missing or malformed --since with exit code 2, naming it', () => {
    const missing = replayCli([]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('replay needs --since');
    const malformed = replayCli(['--since', 'yesterday']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain('since "yesterday" is not an RFC 3339 time');
    const backwards = replayCli(['--since', '2026-03-01T10:00:00Z', '--until', '2026-03-01T09:00:00Z']);
    expect(backwards.status).toBe(2);
    expect(backwards.stderr).toContain('is not after since');
  });
});

describe('replayEvents', () => {
  // A schema of its own, which the relay above does not publish: replayed events stay pending here.
  const schema = 'replay_lib';
  const quiet = createOutbox({ source: '//rims/relay-test', schema });

  async function publishedAt(db: Kysely<unknown>): Promise<(string | null)[]> {
    const rows = await sql<{ age: string | null }>`
      SELECT CASE WHEN published_at IS NULL THEN NULL
                  ELSE round(extract(epoch FROM now() - published_at) / 3600)::text END AS age
      FROM replay_lib.events ORDER BY position`.execute(db);
    return rows.rows.map((row) => row.age);
  }

  it('re-queues only the window, in bounded batches, and reports what retention already deleted', async () => {
    const db = database.kysely<unknown>();
    await migrate(db, { schema });
    await db.transaction().execute((trx) =>
      quiet.enqueue(
        trx,
        Array.from({ length: 10 }, (_, i) => committedEvent(`item-w-${String(i % 3)}`)),
      ),
    );
    // Published 3 hours ago (3), 1 hour ago (5), pending (2).
    await sql`
      WITH ordered AS (SELECT position, row_number() OVER (ORDER BY position) AS n FROM replay_lib.events)
      UPDATE replay_lib.events e
      SET published_at = CASE WHEN o.n <= 3 THEN now() - interval '3 hours'
                              WHEN o.n <= 8 THEN now() - interval '1 hour' END,
          attempts = 1, last_error = 'an old error'
      FROM ordered o WHERE o.position = e.position`.execute(db);
    const since = await databaseNow(db, '-2 hours');

    const dry = await replayEvents(database.pool, { since, schema, dryRun: true });
    expect(dry).toMatchObject({ since, dryRun: true, events: 5, byType: { 'rims.item.committed.v1': 5 } });
    expect(dry.oldestRetained, 'the oldest publishing time still in the outbox').toBe(
      await sql<{ t: string }>`
        SELECT to_char(min(published_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
        FROM replay_lib.events`
        .execute(db)
        .then((r) => r.rows[0]?.t),
    );
    expect(await publishedAt(db)).toEqual(['3', '3', '3', '1', '1', '1', '1', '1', null, null]);

    const progress: number[] = [];
    const result = await replayEvents(database.pool, {
      since: new Date(since),
      schema,
      batchSize: 2,
      onBatch: (replayed) => progress.push(replayed),
    });
    expect(result).toMatchObject({ dryRun: false, events: 5, batches: 3 });
    expect(progress).toEqual([2, 4, 5]);
    expect(await publishedAt(db)).toEqual(['3', '3', '3', null, null, null, null, null, null, null]);
    const reset = await sql<{ n: string }>`
      SELECT count(*) AS n FROM replay_lib.events
      WHERE published_at IS NULL AND attempts = 0 AND last_error IS NULL`.execute(db);
    expect(Number(reset.rows[0]?.n), 'a fresh attempt budget').toBe(5);

    // An earlier window, closed at both ends; then nothing is left in it.
    const older = { since: await databaseNow(db, '-4 hours'), until: since, schema };
    expect((await replayEvents(database.pool, older)).events).toBe(3);
    expect(await replayEvents(database.pool, older)).toMatchObject({ events: 0, batches: 0 });
  });

  it('names a bad since, until or batch size', async () => {
    await expect(replayEvents(database.pool, { since: '2026-03-01 09:00' })).rejects.toThrow(
      /since "2026-03-01 09:00" is not an RFC 3339 time/,
    );
    await expect(
      replayEvents(database.pool, { since: '2026-03-01T09:00:00Z', until: new Date('nope') }),
    ).rejects.toThrow(RelayConfigError);
    await expect(
      replayEvents(database.pool, { since: '2026-03-01T09:00:00Z', until: '2026-03-01T09:00:00+00:00' }),
    ).rejects.toThrow(/until \(2026-03-01T09:00:00\.000000Z\) is not after since/);
    await expect(replayEvents(database.pool, { since: new Date(), batchSize: 0 })).rejects.toThrow(
      /batchSize 0/,
    );
  });
});
