import { randomBytes } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, waitFor } from '@rims/test-harness/vitest';
import {
  OutboxUsageError,
  OutboxValidationError,
  PG_ERROR,
  createOutbox,
  outboxWakeChannel,
  pgErrorCode,
} from '../src/index.js';
import { committed, createItems, storedEvents, type AppDb } from './app-schema.js';

const database = useTestDatabase({ label: 'transaction' });
const outbox = createOutbox({ source: '//rims/test' });

beforeAll(async () => {
  await createItems(database.kysely<AppDb>(), []);
  // A poison subject: the enqueue fails on it with a check violation, by either API.
  await sql`ALTER TABLE rims_outbox.events ADD CONSTRAINT no_poison CHECK (subject <> 'item-poison')`.execute(
    database.kysely(),
  );
});

const commitStatus = (trx: Transaction<AppDb>, itemId: string, status = 'committed') =>
  trx.updateTable('items').set({ status }).where('id', '=', itemId).execute();

async function statusOf(itemId: string): Promise<string | undefined> {
  const row = await database
    .kysely<AppDb>()
    .selectFrom('items')
    .select('status')
    .where('id', '=', itemId)
    .executeTakeFirst();
  return row?.status;
}

describe('outbox.transaction', () => {
  it('commits the state change and its events together, returning the callback value and the ids', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-t1']);
    const result = await outbox.transaction(db, async (trx, events) => {
      await commitStatus(trx, 'item-t1');
      const ids = events.add([committed('item-t1'), committed('item-t1', 'order-2')]);
      expect(events.size).toBe(2);
      return { ids, answer: 42 };
    });

    expect(result.answer).toBe(42);
    expect(await statusOf('item-t1')).toBe('committed');
    const stored = await storedEvents(db, 'item-t1');
    expect(stored.map((event) => [event.id, event.sequence, event.source])).toEqual([
      [result.ids[0], 1, '//rims/test'],
      [result.ids[1], 2, '//rims/test'],
    ]);
    expect(stored[1]?.data).toEqual(committed('item-t1', 'order-2').data);
  });

  it('writes nothing and consumes no sequence number when the callback throws after adding events', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-t2']);
    await expect(
      outbox.transaction(db, async (trx, events) => {
        await commitStatus(trx, 'item-t2');
        events.add(committed('item-t2'));
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');
    expect(await statusOf('item-t2')).toBe('available');
    expect(await storedEvents(db, 'item-t2')).toEqual([]);

    await outbox.transaction(db, (_trx, events) => Promise.resolve(events.add(committed('item-t2'))));
    expect((await storedEvents(db, 'item-t2')).map((event) => event.sequence)).toEqual([1]);
  });

  it('rolls the state change back when the enqueue fails at COMMIT, with the error enqueue throws', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-poison', 'item-t3']);
    const viaEnqueue = await db
      .transaction()
      .execute(async (trx) => {
        await commitStatus(trx, 'item-t3');
        await outbox.enqueue(trx, committed('item-poison'));
      })
      .catch((caught: unknown) => caught);
    const viaTransaction = await outbox
      .transaction(db, async (trx, events) => {
        await commitStatus(trx, 'item-t3');
        events.add([committed('item-t3'), committed('item-poison')]);
      })
      .catch((caught: unknown) => caught);

    expect(viaTransaction).toBeInstanceOf(pg.DatabaseError);
    expect(viaTransaction).toBeInstanceOf((viaEnqueue as object).constructor);
    expect(pgErrorCode(viaTransaction)).toBe('23514');
    expect(pgErrorCode(viaTransaction)).toBe(pgErrorCode(viaEnqueue));
    expect((viaTransaction as Error).message).toBe((viaEnqueue as Error).message);
    expect(await statusOf('item-t3')).toBe('available');
    expect(await storedEvents(db, 'item-t3')).toEqual([]);
    expect(await storedEvents(db, 'item-poison')).toEqual([]);

    // Every connection went back to the pool rolled back: 20 more transactions (the pool's size) commit.
    await Promise.all(
      Array.from({ length: 20 }, () =>
        outbox.transaction(db, (_trx, events) => Promise.resolve(events.add(committed('item-t3')))),
      ),
    );
    expect(await storedEvents(db, 'item-t3')).toHaveLength(20);
  });

  it('surfaces a missing privilege at COMMIT as the same error as enqueue, and rolls back', async () => {
    const db = database.kysely<AppDb>();
    const role = `rims_no_outbox_${randomBytes(3).toString('hex')}`;
    await createItems(db, ['item-t4']);
    await sql`CREATE ROLE ${sql.id(role)} NOLOGIN`.execute(db);
    await sql`GRANT SELECT, UPDATE ON items TO ${sql.id(role)}`.execute(db);
    try {
      const viaEnqueue = await db
        .transaction()
        .execute(async (trx) => {
          await sql`SET LOCAL ROLE ${sql.id(role)}`.execute(trx);
          await outbox.enqueue(trx, committed('item-t4'));
        })
        .catch((caught: unknown) => caught);
      const viaTransaction = await outbox
        .transaction(db, async (trx, events) => {
          await sql`SET LOCAL ROLE ${sql.id(role)}`.execute(trx);
          await commitStatus(trx, 'item-t4');
          events.add(committed('item-t4'));
        })
        .catch((caught: unknown) => caught);
      expect(pgErrorCode(viaEnqueue)).toBe(PG_ERROR.insufficientPrivilege);
      expect(pgErrorCode(viaTransaction)).toBe(PG_ERROR.insufficientPrivilege);
      expect(viaTransaction).toBeInstanceOf(pg.DatabaseError);
      expect(await statusOf('item-t4')).toBe('available');
    } finally {
      await sql`DROP OWNED BY ${sql.id(role)}`.execute(db);
      await sql`DROP ROLE ${sql.id(role)}`.execute(db);
    }
  });

  it('validates each event when it is added, before anything is written', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-t5']);
    const bad = { ...committed('item-t5'), data: { ...committed('item-t5').data, quantity: 0 } };
    let afterAdd = false;
    const error = await outbox
      .transaction(db, async (trx, events) => {
        await commitStatus(trx, 'item-t5');
        events.add([committed('item-t5'), bad, { ...committed('item-x'), subject: 'item-y' }]);
        afterAdd = true;
      })
      .catch((caught: unknown) => caught);

    expect(afterAdd, 'add throws synchronously').toBe(false);
    expect(error).toBeInstanceOf(OutboxValidationError);
    expect((error as OutboxValidationError).issues.map((issue) => issue.path)).toEqual([
      '[1].data.quantity',
      '[2].subject',
    ]);
    expect(await statusOf('item-t5')).toBe('available');
    expect(await storedEvents(db, 'item-t5')).toEqual([]);

    // Caught, the invalid call adds none of its events; the rest of the transaction commits.
    await outbox.transaction(db, async (trx, events) => {
      await commitStatus(trx, 'item-t5');
      expect(() => events.add([committed('item-t5'), bad])).toThrow(OutboxValidationError);
      expect(events.size).toBe(0);
      events.add(committed('item-t5', 'order-ok'));
    });
    expect((await storedEvents(db, 'item-t5')).map((event) => event.data)).toEqual([
      committed('item-t5', 'order-ok').data,
    ]);
  });

  it('commits like db.transaction() when no event was added', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-t6']);
    await outbox.transaction(db, (trx) => commitStatus(trx, 'item-t6'));
    expect(await statusOf('item-t6')).toBe('committed');
  });

  it('mixes with enqueue in the same transaction: enqueue numbers at once, add at COMMIT', async () => {
    const db = database.kysely<AppDb>();
    const rows = await outbox.transaction(db, async (trx, events) => {
      events.add(committed('item-t7', 'order-added'));
      return outbox.enqueue(trx, committed('item-t7', 'order-enqueued'));
    });
    expect(rows[0]?.sequence).toBe(1);
    expect(
      (await storedEvents(db, 'item-t7')).map((event) => (event.data as { order_id: string }).order_id),
    ).toEqual(['order-enqueued', 'order-added']);
  });

  it('keeps events added after a savepoint that is rolled back, as the README warns', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-t9']);
    await outbox.transaction(db, async (trx, events) => {
      await sql`SAVEPOINT before_commit`.execute(trx);
      await commitStatus(trx, 'item-t9');
      events.add(committed('item-t9'));
      await sql`ROLLBACK TO SAVEPOINT before_commit`.execute(trx);
    });
    expect(await statusOf('item-t9')).toBe('available');
    expect(await storedEvents(db, 'item-t9')).toHaveLength(1);
  });

  it('applies an isolation level and access mode', async () => {
    const db = database.kysely<AppDb>();
    const level = await outbox.transaction(
      db,
      async (trx) =>
        (await sql<{ level: string }>`SELECT current_setting('transaction_isolation') AS level`.execute(trx))
          .rows[0]?.level,
      { isolationLevel: 'serializable' },
    );
    expect(level).toBe('serializable');
    await expect(
      outbox.transaction(db, (trx) => commitStatus(trx, 'item-t6'), { accessMode: 'read only' }),
    ).rejects.toMatchObject({ code: '25006' });
  });

  it('refuses to run inside another transaction, and events.add or trx after the callback returned', async () => {
    const db = database.kysely<AppDb>();
    const nested = db
      .transaction()
      .execute((trx) => outbox.transaction<AppDb, undefined>(trx, () => Promise.resolve(undefined)));
    await expect(nested).rejects.toThrow(OutboxUsageError);
    await expect(nested).rejects.toThrow(/inside db\.transaction\(\), call outbox\.enqueue/);

    let leaked: { trx: Transaction<AppDb>; add: () => void } | undefined;
    await outbox.transaction(db, (trx, events) => {
      leaked = { trx, add: () => events.add(committed('item-t8')) };
      return Promise.resolve();
    });
    expect(() => leaked?.add()).toThrow(OutboxUsageError);
    await expect(sql`SELECT 1`.execute(leaked?.trx ?? db)).rejects.toThrow(/already committed/);
    expect(await storedEvents(db, 'item-t8')).toEqual([]);
  });

  it('captures the span active when an event is added', async () => {
    const manager = new AsyncLocalStorageContextManager();
    context.setGlobalContextManager(manager.enable());
    try {
      const span = trace.wrapSpanContext({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
      });
      const db = database.kysely<AppDb>();
      await outbox.transaction(db, async (_trx, events) => {
        context.with(trace.setSpan(context.active(), span), () => events.add(committed('item-traced')));
        events.add(committed('item-traced'));
        return Promise.resolve();
      });
      expect((await storedEvents(db, 'item-traced')).map((event) => event.traceparent)).toEqual([
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        null,
      ]);
    } finally {
      manager.disable();
      context.disable();
    }
  });

  it('wakes a waiting relay at COMMIT, like enqueue', async () => {
    const db = database.kysely<AppDb>();
    const channel = outboxWakeChannel('rims_outbox');
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const received: string[] = [];
    listener.on('notification', (message) => received.push(message.payload ?? ''));
    await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    await sql`INSERT INTO rims_outbox.relay_waiting (replica_id) VALUES ('relay-t')`.execute(db);
    try {
      await outbox.transaction(db, (_trx, events) => Promise.resolve(events.add(committed('item-wake'))));
      await waitFor(() => received.length > 0, { timeoutMs: 5_000, description: 'the wake-up' });
      expect(received).toEqual(['']);
    } finally {
      await sql`DELETE FROM rims_outbox.relay_waiting`.execute(db);
      await listener.end();
    }
  });
});

describe('outbox.transaction with other kysely setups', () => {
  it('runs through the caller’s plugins and log, on the caller’s pool', async () => {
    const logged: string[] = [];
    const db = new Kysely<AppDb>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
      log: (event) => {
        logged.push(event.query.sql);
      },
    });
    try {
      await outbox.transaction(db, async (trx, events) => {
        await commitStatus(trx, 'item-t1', 'fulfilled');
        events.add(committed('item-t1'));
      });
      expect(logged[0]).toBe('begin');
      expect(logged.at(-1)).toMatch(/enqueue_event\(E'/);
      expect(logged.at(-1)).toMatch(/COMMIT;$/);
    } finally {
      await db.destroy();
    }
  });
});
