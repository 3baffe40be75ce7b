import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, waitFor } from '@rims/test-harness/vitest';
import { OutboxUsageError, OutboxValidationError, createOutbox, outboxWakeChannel } from '../src/index.js';
import { committed, createItems, storedEvents, type AppDb } from './app-schema.js';

const database = useTestDatabase({ label: 'enqueue' });
const outbox = createOutbox({ source: '//rims/test' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  await createItems(database.kysely<AppDb>(), []);
});

async function commitItem(db: Kysely<AppDb>, itemId: string) {
  await createItems(db, [itemId]);
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('items').set({ status: 'committed' }).where('id', '=', itemId).execute();
    return outbox.enqueue(trx, committed(itemId));
  });
}

describe('enqueue', () => {
  it('writes the event with the state change and returns its id and sequence', async () => {
    const db = database.kysely<AppDb>();
    const before = new Date();
    const [row] = await commitItem(db, 'item-commit');
    expect(row?.id).toMatch(UUID);
    expect(row?.sequence).toBe(1);

    const [stored] = await storedEvents(db, 'item-commit');
    expect(stored).toMatchObject({
      id: row?.id,
      sequence: 1,
      type: 'rims.item.committed.v1',
      source: '//rims/test',
      data: committed('item-commit').data,
      traceparent: null,
    });
    expect(stored?.time.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);
    const item = await db
      .selectFrom('items')
      .select('status')
      .where('id', '=', 'item-commit')
      .executeTakeFirst();
    expect(item?.status).toBe('committed');
  });

  it('leaves nothing behind when the transaction rolls back, and consumes no sequence number', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-rollback']);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx
          .updateTable('items')
          .set({ status: 'committed' })
          .where('id', '=', 'item-rollback')
          .execute();
        await outbox.enqueue(trx, committed('item-rollback'));
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');

    expect(await storedEvents(db, 'item-rollback')).toEqual([]);
    const item = await db
      .selectFrom('items')
      .select('status')
      .where('id', '=', 'item-rollback')
      .executeTakeFirst();
    expect(item?.status).toBe('available');
    const [row] = await commitItem(db, 'item-rollback');
    expect(row?.sequence).toBe(1);
  });

  it('rejects invalid events before writing, naming each field, and rolls the caller back', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-invalid']);
    const bad = { ...committed('item-invalid'), data: { ...committed('item-invalid').data, quantity: 0 } };
    const error = await db
      .transaction()
      .execute(async (trx) => {
        await trx
          .updateTable('items')
          .set({ status: 'committed' })
          .where('id', '=', 'item-invalid')
          .execute();
        await outbox.enqueue(trx, [
          committed('item-invalid'),
          bad,
          { ...committed('item-x'), subject: 'item-y' },
        ]);
      })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OutboxValidationError);
    expect((error as OutboxValidationError).code).toBe('RIMS_OUTBOX_VALIDATION');
    expect((error as OutboxValidationError).issues.map((issue) => issue.path)).toEqual([
      '[1].data.quantity',
      '[2].subject',
    ]);
    expect((error as Error).message).toContain('[1].data.quantity: quantity must be at least 1');
    expect(await storedEvents(db, 'item-invalid')).toEqual([]);
    const item = await db
      .selectFrom('items')
      .select('status')
      .where('id', '=', 'item-invalid')
      .executeTakeFirst();
    expect(item?.status).toBe('available');
  });

  it('refuses what PostgreSQL could not store with a validation error, not a database error', async () => {
    const db = database.kysely<AppDb>();
    const nul = { ...committed('item-nul'), data: { ...committed('item-nul').data, sku: 'SKU\u0000' } };
    const farFuture = { ...committed('item-nul'), time: new Date('+010000-01-01T00:00:00Z') };
    const error = await db
      .transaction()
      .execute((trx) => outbox.enqueue(trx, [nul, farFuture]))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboxValidationError);
    expect((error as OutboxValidationError).issues.map((issue) => issue.path)).toEqual([
      '[0].data.sku',
      '[1].time',
    ]);
    expect(await storedEvents(db, 'item-nul')).toEqual([]);
  });

  it('refuses a lone UTF-16 surrogate in any string field by name, which PostgreSQL jsonb cannot store', async () => {
    const db = database.kysely<AppDb>();
    // A surrogate half on its own: what slicing a string through an emoji leaves behind.
    const half = '\u{1F4E6}'.slice(0, 1);
    const inData = {
      ...committed('item-half'),
      data: { ...committed('item-half').data, sku: `SKU-${half}` },
    };
    const released = {
      type: 'rims.item.released.v1' as const,
      subject: 'item-half',
      data: { item_id: 'item-half', order_id: 'order-1', reason: `${half}timeout` },
    };
    const error = await db
      .transaction()
      .execute((trx) => outbox.enqueue(trx, [inData, released]))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboxValidationError);
    expect((error as OutboxValidationError).issues).toEqual([
      expect.objectContaining({ path: '[0].data.sku', code: 'lone_surrogate' }),
      expect.objectContaining({ path: '[1].data.reason', code: 'lone_surrogate' }),
    ]);
    expect((error as OutboxValidationError).message).toContain('lone UTF-16 surrogate');
    expect(await storedEvents(db, 'item-half')).toEqual([]);

    // A whole pair is a character like any other and is stored as written.
    const emoji = {
      ...committed('item-emoji'),
      data: { ...committed('item-emoji').data, sku: 'SKU-\u{1F4E6}' },
    };
    await db.transaction().execute((trx) => outbox.enqueue(trx, emoji));
    expect((await storedEvents(db, 'item-emoji'))[0]?.data).toEqual(emoji.data);
  });

  it('numbers a batch per subject in input order', async () => {
    const db = database.kysely<AppDb>();
    const rows = await db.transaction().execute((trx) =>
      outbox.enqueue(trx, [
        committed('item-b1'),
        committed('item-b2'),
        {
          type: 'rims.item.released.v1',
          subject: 'item-b1',
          data: { item_id: 'item-b1', order_id: 'o', reason: 'r' },
        },
        {
          type: 'rims.item.fulfilled.v1',
          subject: 'item-b2',
          data: { item_id: 'item-b2', order_id: 'order-1' },
        },
      ]),
    );
    expect(rows.map((row) => row.sequence)).toEqual([1, 1, 2, 2]);
    expect((await storedEvents(db, 'item-b1')).map((event) => [event.sequence, event.type])).toEqual([
      [1, 'rims.item.committed.v1'],
      [2, 'rims.item.released.v1'],
    ]);
  });

  it('keeps a caller-supplied time', async () => {
    const db = database.kysely<AppDb>();
    await db
      .transaction()
      .execute((trx) =>
        outbox.enqueue(trx, { ...committed('item-time'), time: '2026-01-02T03:04:05.678+02:00' }),
      );
    const [stored] = await storedEvents(db, 'item-time');
    expect(stored?.time.toISOString()).toBe('2026-01-02T01:04:05.678Z');
  });

  it('keeps the microseconds of a caller-supplied time string, and converts a Date', async () => {
    const db = database.kysely<AppDb>();
    await db.transaction().execute((trx) =>
      outbox.enqueue(trx, [
        { ...committed('item-micros'), time: '2026-01-02T03:04:05.123456+02:00' },
        { ...committed('item-micros'), time: new Date('2026-01-02T01:04:05.789Z') },
      ]),
    );
    const stored = await sql<{ time: string }>`
      SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time
      FROM rims_outbox.events WHERE subject = 'item-micros' ORDER BY sequence`.execute(db);
    expect(stored.rows.map((row) => row.time)).toEqual([
      '2026-01-02T01:04:05.123456Z',
      '2026-01-02T01:04:05.789000Z',
    ]);
  });

  it('refuses to run outside a transaction', async () => {
    await expect(outbox.enqueue(database.kysely<AppDb>(), committed('item-no-trx'))).rejects.toThrow(
      OutboxUsageError,
    );
    await expect(outbox.enqueue(database.kysely<AppDb>(), committed('item-no-trx'))).rejects.toThrow(
      /db\.transaction\(\)\.execute/,
    );
  });

  it('names migrate when the outbox schema is missing, with enqueue and with outbox.transaction', async () => {
    const elsewhere = createOutbox({ source: '//rims/test', schema: 'never_migrated' });
    const db = database.kysely<AppDb>();
    const expected = {
      code: 'RIMS_OUTBOX_SCHEMA_VERSION',
      message: expect.stringContaining("migrate(db, { schema: 'never_migrated' })") as unknown,
    };
    await expect(
      db.transaction().execute((trx) => elsewhere.enqueue(trx, committed('item-unmigrated'))),
    ).rejects.toMatchObject(expected);
    await expect(
      elsewhere.transaction(db, (_trx, events) => {
        events.add(committed('item-unmigrated'));
        return Promise.resolve();
      }),
    ).rejects.toMatchObject(expected);
    // A schema of that name without the outbox in it: the same answer.
    await sql`CREATE SCHEMA IF NOT EXISTS never_migrated`.execute(db);
    try {
      await expect(
        db.transaction().execute((trx) => elsewhere.enqueue(trx, committed('item-unmigrated'))),
      ).rejects.toMatchObject(expected);
    } finally {
      await sql`DROP SCHEMA never_migrated`.execute(db);
    }
  });

  it('returns nothing for an empty batch', async () => {
    expect(
      await database
        .kysely<AppDb>()
        .transaction()
        .execute((trx) => outbox.enqueue(trx, [])),
    ).toEqual([]);
  });

  it('rejects data larger than maxDataBytes', async () => {
    const small = createOutbox({ source: '//rims/test', maxDataBytes: 100 });
    const event = { ...committed('item-big'), data: { ...committed('item-big').data, sku: 'S'.repeat(200) } };
    await expect(
      database
        .kysely<AppDb>()
        .transaction()
        .execute((trx) => small.enqueue(trx, event)),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'data', code: 'too_big' })] });
  });

  it('writes a batch of 1,000 events in one statement', async () => {
    let statements = 0;
    const counted = new Kysely<AppDb>({
      dialect: new PostgresDialect({ pool: database.pool }),
      log: (event) => {
        if (event.level === 'query') statements += 1;
      },
    });
    const events = Array.from({ length: 1_000 }, (_, i) => committed(`item-bulk-${String(i % 100)}`));
    const { rows, used } = await counted.transaction().execute(async (trx) => {
      statements = 0;
      const enqueued = await outbox.enqueue(trx, events);
      return { rows: enqueued, used: statements };
    });
    expect(used).toBe(1);
    expect(rows).toHaveLength(1_000);
    expect(new Set(rows.map((row) => row.id)).size).toBe(1_000);
    expect(rows.slice(0, 3).map((row) => row.sequence)).toEqual([1, 1, 1]);
    expect(rows.slice(-1).map((row) => row.sequence)).toEqual([10]);
  });
});

describe('wake-up at commit', () => {
  let listener: pg.Client;
  const received: string[] = [];
  const channel = outboxWakeChannel('rims_outbox');

  beforeAll(async () => {
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (message) => received.push(message.payload ?? ''));
    await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  });
  afterAll(async () => {
    await listener.end();
  });

  /**
   * The payloads of the notifications the commits in `work` sent. Notifications arrive in commit
   * order, so once a sentinel committed afterwards has arrived, every earlier one has too.
   */
  async function notificationsOf(work: (db: Kysely<AppDb>) => Promise<unknown>): Promise<string[]> {
    const db = database.kysely<AppDb>();
    received.length = 0;
    await work(db);
    await sql`SELECT pg_notify(${channel}, 'sentinel')`.execute(db);
    await waitFor(() => received.includes('sentinel'), { timeoutMs: 5_000, description: 'the sentinel' });
    return received.filter((payload) => payload !== 'sentinel');
  }

  const enqueueTwice = (db: Kysely<AppDb>) =>
    db.transaction().execute((trx) => outbox.enqueue(trx, [committed('item-notify'), committed('item-n2')]));

  it('does not notify while no relay waits for a wake-up (relay_waiting is empty)', async () => {
    expect(await notificationsOf(enqueueTwice)).toEqual([]);
  });

  it('notifies at commit while a relay waits, never for a rollback nor with notify: false', async () => {
    const db = database.kysely<AppDb>();
    await sql`INSERT INTO rims_outbox.relay_waiting (replica_id) VALUES ('relay-a')`.execute(db);
    try {
      expect(
        await notificationsOf(async () => {
          await db
            .transaction()
            .execute(async (trx) => {
              await outbox.enqueue(trx, committed('item-notify'));
              throw new Error('rollback');
            })
            .catch(() => undefined);
          const quiet = createOutbox({ source: '//rims/test', notify: false });
          await db.transaction().execute((trx) => quiet.enqueue(trx, committed('item-notify')));
        }),
      ).toEqual([]);
      expect(await notificationsOf(enqueueTwice), 'one notification per transaction').toEqual(['']);
    } finally {
      await sql`DELETE FROM rims_outbox.relay_waiting`.execute(db);
    }
    expect(await notificationsOf(enqueueTwice), 'not once the relay is busy again').toEqual([]);
  });
});

describe('trace context', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('records the active span as a W3C traceparent', async () => {
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    const db = database.kysely<AppDb>();
    await context.with(trace.setSpan(context.active(), span), () =>
      db.transaction().execute((trx) => outbox.enqueue(trx, committed('item-traced'))),
    );
    await db.transaction().execute((trx) => outbox.enqueue(trx, committed('item-traced')));

    expect((await storedEvents(db, 'item-traced')).map((event) => event.traceparent)).toEqual([
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      null,
    ]);
  });
});

describe('pipeline heartbeat', () => {
  const heartbeat = (subject: string) => ({
    type: 'rims.pipeline.heartbeat.v1' as const,
    subject,
    data: { replica: 'relay-7', sent_at: '2026-11-30T12:00:00.000Z' },
  });

  it('accepts a heartbeat whose subject is heartbeat/<replica>: not an item', async () => {
    const db = database.kysely<AppDb>();
    const rows = await db.transaction().execute((trx) => outbox.enqueue(trx, heartbeat('heartbeat/relay-7')));
    expect(rows[0]?.sequence).toBe(1);
    const [stored] = await storedEvents(db, 'heartbeat/relay-7');
    expect(stored).toMatchObject({ type: 'rims.pipeline.heartbeat.v1', data: heartbeat('').data });
  });

  it('refuses a heartbeat whose subject is not heartbeat/<replica>, naming the rule', async () => {
    const db = database.kysely<AppDb>();
    const attempt = db.transaction().execute((trx) => outbox.enqueue(trx, heartbeat('relay-7')));
    await expect(attempt).rejects.toThrow(OutboxValidationError);
    await expect(attempt).rejects.toThrow(/subject 'relay-7' must be 'heartbeat\/relay-7'/);
  });
});
