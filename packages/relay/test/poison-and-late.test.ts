import { spawnSync } from 'node:child_process';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay, type ParkedEvent, type Relay } from '../src/index.js';
import {
  RELAY_BIN,
  committedEvent,
  countEvents,
  distinctIds,
  orderedTopic,
  outbox,
  type Received,
  relayOptions,
} from './helpers.js';

const database = useTestDatabase({ label: 'relay_poison' });
const pubsub = useTestPubSub();

let relay: Relay;
let received: Received[];
let close: () => Promise<void>;
const parked: ParkedEvent[] = [];

beforeAll(async () => {
  const topic = pubsub.uniqueName('poison');
  ({ received, close } = await orderedTopic(pubsub.client(), {
    topic,
    subscription: pubsub.uniqueName('poison-sub'),
  }));
  relay = createRelay({
    ...relayOptions(database.url, pubsub, topic),
    maxAttempts: 3,
    backoffInitialMs: 20,
    backoffMaxMs: 200,
    pollIntervalMs: 200,
    onDead: (event) => parked.push(event),
  });
  await relay.start();
});

afterAll(async () => {
  await relay.stop({ timeout: 5_000 });
  await close();
});

function subjectsReceived(subject: string): number[] {
  return received.filter((r) => r.event.subject === subject).map((r) => Number(r.event.sequence));
}

/** `rims-relay dead ...` against the test database. */
function deadCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [RELAY_BIN, 'dead', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function enqueueCorrupted(db: Kysely<unknown>, subject: string, corrupt: ReturnType<typeof sql>) {
  return db.transaction().execute(async (trx) => {
    const [row] = await outbox.enqueue(trx, committedEvent(subject));
    await sql`UPDATE rims_outbox.events SET data = ${corrupt} WHERE id = ${row?.id}`.execute(trx);
    return row?.id ?? '';
  });
}

describe('a poison event', () => {
  let undecodable: string;
  let oversized: string;

  it('is parked as dead after max attempts while other subjects and later events keep flowing', async () => {
    const db = database.kysely<unknown>();
    await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-poison')));
    // Sequence 2: data that no longer matches the catalogue (quantity must be at least 1).
    undecodable = await enqueueCorrupted(
      db,
      'item-poison',
      sql`jsonb_build_object('item_id', 'item-poison', 'order_id', 'o', 'sku', 's', 'quantity', 0, 'location_id', 'l')`,
    );
    await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-poison')));
    // Another subject: a message over the Pub/Sub limit of 10 MB.
    oversized = await enqueueCorrupted(
      db,
      'item-huge',
      sql`jsonb_build_object('item_id', 'item-huge', 'order_id', 'o', 'sku', 's', 'quantity', 1, 'location_id', 'l', 'padding', repeat('x', 10500000))`,
    );
    for (let i = 0; i < 5; i++) {
      await db
        .transaction()
        .execute((trx) => outbox.enqueue(trx, [committedEvent('item-ok-1'), committedEvent('item-ok-2')]));
    }

    await waitFor(() => parked.length >= 2, {
      timeoutMs: 20_000,
      description: 'both poison events to be parked',
    });
    await waitFor(() => subjectsReceived('item-poison').length >= 2 && distinctIds(received).size >= 12, {
      timeoutMs: 20_000,
      description: 'the other events',
    });
    expect(subjectsReceived('item-poison'), 'sequence 2 parked; 1 and 3 published in order').toEqual([1, 3]);
    expect(subjectsReceived('item-ok-1')).toEqual([1, 2, 3, 4, 5]);
    expect(subjectsReceived('item-ok-2')).toEqual([1, 2, 3, 4, 5]);
    expect(subjectsReceived('item-huge')).toEqual([]);

    const dead = await sql<{ id: string; attempts: number; last_error: string }>`
      SELECT id::text AS id, attempts, last_error FROM rims_outbox.events WHERE dead_at IS NOT NULL ORDER BY position`.execute(
      db,
    );
    expect(dead.rows.map((r) => r.id)).toEqual([undecodable, oversized]);
    expect(dead.rows.map((r) => r.attempts)).toEqual([3, 3]);
    expect(dead.rows[0]?.last_error).toContain('data.quantity');
    expect(dead.rows[1]?.last_error).toContain('over the Pub/Sub limit');
    expect(parked.map((p) => p.id).sort()).toEqual([undecodable, oversized].sort());
    await waitFor(async () =>
      (await relay.metrics.metrics()).includes('rims_relay_events_parked_dead_total 2'),
    );
  });

  it('is listed by `rims-relay dead list`', () => {
    const text = deadCli(['list']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(undecodable);
    expect(text.stdout).toContain('2 dead event(s)');
    const json = deadCli(['list', '--json']);
    const listed = JSON.parse(json.stdout) as {
      id: string;
      subject: string;
      sequence: string;
      attempts: number;
    }[];
    expect(listed.map((e) => [e.id, e.subject, e.sequence, e.attempts])).toEqual([
      [undecodable, 'item-poison', '2', 3],
      [oversized, 'item-huge', '1', 3],
    ]);
  });

  it('is published by `rims-relay dead retry <id>` once fixed; unknown ids are refused', async () => {
    const db = database.kysely<unknown>();
    const unknown = deadCli(['retry', '00000000-0000-0000-0000-000000000000']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('RIMS_RELAY_DEAD_NOT_FOUND');
    expect(deadCli(['retry', 'not-a-uuid']).status).toBe(2);
    expect(deadCli(['retry']).status).toBe(2);

    await sql`UPDATE rims_outbox.events SET data = jsonb_set(data, '{quantity}', '2') WHERE id = ${undecodable}`.execute(
      db,
    );
    const retried = deadCli(['retry', undecodable]);
    expect(retried.status).toBe(0);
    expect(retried.stdout).toContain('retried 1 dead event(s)');
    await waitFor(() => subjectsReceived('item-poison').length === 3, {
      timeoutMs: 10_000,
      description: 'the retried event',
    });
    // Published after sequence 3: consumers that apply only higher sequences ignore it.
    expect(subjectsReceived('item-poison')).toEqual([1, 3, 2]);
  });

  it('is parked again by `dead retry --all` when the cause is not fixed', async () => {
    const db = database.kysely<unknown>();
    parked.length = 0;
    const retried = deadCli(['retry', '--all']);
    expect(retried.stdout).toContain(oversized);
    await waitFor(() => parked.length >= 1, {
      timeoutMs: 10_000,
      description: 'the event to be parked again',
    });
    expect(await countEvents(db, 'dead')).toBe(1);
  });
});

describe('an event whose transaction commits long after later events', () => {
  it('is still published', async () => {
    const db = database.kysely<unknown>();
    let releaseLate!: () => void;
    const hold = new Promise<void>((resolve) => (releaseLate = resolve));
    let lateId = '';
    let latePosition = Number.NaN;
    // Takes the lower position, then stays uncommitted while later positions commit and publish.
    const late = db.transaction().execute(async (trx) => {
      const [row] = await outbox.enqueue(trx, committedEvent('item-late'));
      const position = await sql<{ position: string }>`
        SELECT position::text AS position FROM rims_outbox.events WHERE id = ${row?.id}`.execute(trx);
      latePosition = Number(position.rows[0]?.position);
      lateId = row?.id ?? '';
      await hold;
    });
    try {
      await waitFor(() => lateId !== '', { description: 'the long transaction to enqueue' });
      for (let i = 0; i < 10; i++) {
        await db
          .transaction()
          .execute((trx) => outbox.enqueue(trx, committedEvent(`item-early-${String(i)}`)));
      }
      await waitFor(() => received.filter((r) => r.event.subject.startsWith('item-early-')).length === 10, {
        timeoutMs: 10_000,
        description: 'the later events',
      });
      const later = await sql<{ position: string }>`
        SELECT position::text AS position FROM rims_outbox.events WHERE subject LIKE 'item-early-%'`.execute(
        db,
      );
      expect(
        later.rows.every((r) => Number(r.position) > latePosition),
        'later positions published first',
      ).toBe(true);
      expect(received.some((r) => r.event.id === lateId)).toBe(false);
    } finally {
      releaseLate();
      await late;
    }
    const arrived = await waitFor(() => received.find((r) => r.event.id === lateId), {
      timeoutMs: 10_000,
      description: 'the late event',
    });
    expect(arrived.event.subject).toBe('item-late');
  });
});
