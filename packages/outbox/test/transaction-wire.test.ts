/**
 * What `outbox.transaction` puts on the wire: one round trip fewer than `enqueue`, and values that
 * reach PostgreSQL exactly as given, whatever they hold, although they travel as SQL literals.
 *
 * Replay a property failure with the seed (and path) fast-check prints:
 *   FC_SEED=<seed> npx vitest run packages/outbox/test/transaction-wire.test.ts
 */
import fc from 'fast-check';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasNoNul, isWellFormedText } from '@rims/schemas';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { OutboxConfigError, OutboxValidationError, createOutbox } from '../src/index.js';
import { sqlLiteral } from '../src/queries/sql-literal.js';
import { committed, createItems, storedEvents, type AppDb } from './app-schema.js';
import { startRoundTripCounter, type RoundTripCounter } from './round-trip-counter.js';

const database = useTestDatabase({ label: 'transaction_wire' });
const outbox = createOutbox({ source: '//rims/test' });
/** Whether PostgreSQL can hold `text`: what the test itself may send as a parameter. */
const storable = (text: string) => hasNoNul(text) && isWellFormedText(text);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

describe('round trips', () => {
  let counter: RoundTripCounter;
  let db: Kysely<AppDb>;

  beforeAll(async () => {
    counter = await startRoundTripCounter(database.url);
    db = new Kysely<AppDb>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: counter.url(database.name), max: 1 }),
      }),
    });
    await createItems(db, ['item-rt']);
  });
  afterAll(async () => {
    await db.destroy();
    await counter.close();
  });

  const update = (trx: Transaction<AppDb>) =>
    trx.updateTable('items').set({ status: 'committed' }).where('id', '=', 'item-rt').execute();
  async function roundTripsOf(work: () => Promise<unknown>): Promise<number> {
    await sql`SELECT 1`.execute(db); // the pool's connection is open before counting
    counter.reset();
    await work();
    return counter.roundTrips;
  }

  it('writes the events with COMMIT: as many round trips as the transaction without events, one fewer than enqueue', async () => {
    const baseline = await roundTripsOf(() => db.transaction().execute(update));
    const withEnqueue = await roundTripsOf(() =>
      db.transaction().execute(async (trx) => {
        await update(trx);
        await outbox.enqueue(trx, committed('item-rt'));
      }),
    );
    const withTransaction = await roundTripsOf(() =>
      outbox.transaction(db, async (trx, events) => {
        await update(trx);
        events.add([committed('item-rt'), committed('item-rt', 'order-2')]);
      }),
    );

    expect(baseline).toBe(3); // BEGIN, UPDATE, COMMIT
    expect(withEnqueue).toBe(baseline + 1);
    expect(withTransaction).toBe(baseline);
    const last = counter.simpleQueries.at(-1) ?? '';
    expect(last).toMatch(/^SELECT count\(\*\) FROM "rims_outbox"\.enqueue_events\(ARRAY\[E'/);
    expect(last).toMatch(/\);\nCOMMIT;$/);
    expect((await storedEvents(db, 'item-rt')).map((event) => event.sequence)).toEqual([1, 2, 3]);
  });

  it('writes a single event through enqueue_event, its arguments plain literals, in the message that commits', async () => {
    const trips = await roundTripsOf(() =>
      outbox.transaction(db, async (trx, events) => {
        await update(trx);
        events.add(committed('item-one'));
      }),
    );
    expect(trips).toBe(3); // BEGIN, UPDATE, enqueue + COMMIT
    const last = counter.simpleQueries.at(-1) ?? '';
    expect(last).toMatch(/^SELECT "rims_outbox"\.enqueue_event\(E'[0-9a-f-]{36}'::uuid, E'item-one'::text, /);
    expect(last).toMatch(/\);\nCOMMIT;$/);
    expect((await storedEvents(db, 'item-one')).map((event) => event.sequence)).toEqual([1]);
  });

  it('sends the enqueue, its COMMIT skipped by PostgreSQL, then ROLLBACK when the enqueue fails', async () => {
    await sql`ALTER TABLE rims_outbox.events ADD CONSTRAINT no_poison CHECK (subject <> 'item-poison')`.execute(
      db,
    );
    const trips = await roundTripsOf(() =>
      outbox
        .transaction(db, async (trx, events) => {
          await update(trx);
          events.add(committed('item-poison'));
        })
        .catch(() => undefined),
    );
    expect(trips).toBe(4);
    expect(counter.simpleQueries.at(-1)).toBe('rollback');
    const item = await db.selectFrom('items').select('status').where('id', '=', 'item-rt').executeTakeFirst();
    expect(item?.status).toBe('committed'); // still the value of the first test's commits
  });
});

// Strings built to break out of a literal, mixed with arbitrary text, any code point included.
const hostile = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom("'", '\\', '"', '$', ';', '\n', '-', '*', '/', 'E', 'é', '\u{1F4E6}') }),
  fc.constantFrom(
    "'; DROP TABLE items; --",
    "\\'; COMMIT; --",
    "E'\\\\'",
    '$$; ROLLBACK; $$',
    '\n--',
    '\u{1F4E6}'.slice(0, 1),
    'a\u0000b',
  ),
);

describe('literals', () => {
  it('reach PostgreSQL unchanged, whatever standard_conforming_strings says', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const conforming of ['on', 'off']) {
        await client.query(`SET standard_conforming_strings = ${conforming}`);
        await fc.assert(
          fc.asyncProperty(hostile.filter(storable), async (text) => {
            // No parameters: the simple protocol, as at COMMIT.
            const result = await client.query<{ value: string }>(`SELECT ${sqlLiteral(text)} AS value`);
            expect(result.rows[0]?.value).toBe(text);
          }),
          { numRuns: 300, seed },
        );
      }
    } finally {
      await client.end();
    }
  });

  it('refuses what PostgreSQL cannot hold rather than alter it', () => {
    expect(() => sqlLiteral('a\u0000b')).toThrow(/U\+0000/);
    expect(() => sqlLiteral(`x${'\u{1F4E6}'.slice(0, 1)}`)).toThrow(/lone UTF-16 surrogate/);
    expect(sqlLiteral([null, "it's", 'a\\b'])).toBe("ARRAY[NULL,E'it''s',E'a\\\\b']");
    // The source is the one value validation does not cover: the outbox refuses it when created.
    expect(() => createOutbox({ source: '//rims/a\u0000b' })).toThrow(OutboxConfigError);
    expect(() => createOutbox({ source: `//rims/${'\u{1F4E6}'.slice(0, 1)}` })).toThrow(OutboxConfigError);
  });

  it('store every event exactly as added, or refuse it by validation before anything is written', async () => {
    const db = database.kysely<AppDb>();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, async (itemId, orderId, reason) => {
        const events = [
          committed(itemId, orderId),
          {
            type: 'rims.item.released.v1' as const,
            subject: itemId,
            data: { item_id: itemId, order_id: orderId, reason },
          },
        ];
        const before = storable(itemId) ? await storedEvents(db, itemId) : undefined;
        const outcome = await outbox
          .transaction(db, (_trx, added) => Promise.resolve(added.add(events)))
          .catch((error: unknown) => error);
        if (outcome instanceof OutboxValidationError) {
          refused += 1;
          if (before) expect(await storedEvents(db, itemId)).toEqual(before);
          return;
        }
        expect(outcome).toBeInstanceOf(Array);
        const written = (await storedEvents(db, itemId)).slice(before?.length ?? 0);
        expect(written.map((event) => [event.id, event.data])).toEqual(
          events.map((event, i) => [(outcome as string[])[i], event.data]),
        );
      }),
      { numRuns: 150, seed },
    );
    expect(refused, 'some inputs were refused (empty, too long, NUL, lone surrogate)').toBeGreaterThan(0);
    // Nothing a value held ran as SQL: the application's table and the outbox are intact.
    const tables = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('items', 'events')`.execute(db);
    expect(tables.rows[0]?.n).toBe(2);
  });
});
