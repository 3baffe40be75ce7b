/**
 * The write transactions bench/outbox-write and bench/outbox-write-network compare: an application's
 * state change (one UPDATE of an item) alone, and with one event written each documented way, a
 * peer library's way, and the floor of any outbox row. Each variant is one whole transaction. And
 * the throw-away database both run them in.
 */
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createOutbox } from '@rims/outbox';
import {
  createDatabase,
  dropDatabase,
  droppablePool,
  migrateDatabase,
  resolvePostgres,
  uniqueDatabaseName,
  withDatabase,
  type PostgresService,
} from '@rims/test-harness';
import { setUpPeerOutbox, storePeerMessage } from './pg-transactional-outbox.js';
import { committedEvent } from './committed-event.js';
import { percentile, ratio } from './results.js';

/** The benchmark's own tables beside the outbox's. */
export interface WriteBenchDb {
  items: { id: string; status: string; updated_at: Date };
  plain_events: { id: string; subject: string; type: string; data: string };
}

const ITEMS = 10_000;

/** A random item of the {@link ITEMS} the set-up creates. */
export const pickItem = () => `item-${String(1 + Math.floor(Math.random() * ITEMS))}`;

/** Creates the items the transactions update and the peer library's outbox in `databaseName`. */
async function setUpWriteBench(db: Kysely<WriteBenchDb>, databaseName: string): Promise<void> {
  await sql`CREATE TABLE items (id text PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL)`.execute(
    db,
  );
  await sql`CREATE TABLE plain_events (id uuid PRIMARY KEY, subject text NOT NULL, type text NOT NULL, data jsonb NOT NULL)`.execute(
    db,
  );
  await sql`INSERT INTO items SELECT 'item-' || g, 'available', now() FROM generate_series(1, ${ITEMS}) g`.execute(
    db,
  );
  await sql`VACUUM ANALYZE items`.execute(db);
  await setUpPeerOutbox(db as Kysely<unknown>, databaseName);
}

/** A throw-away database for the write benchmarks: migrated, with their items and the peer's outbox. */
export interface WriteBenchDatabase {
  readonly url: string;
  /** Where PostgreSQL came from (DATABASE_URL, local, testcontainers), for the results. */
  readonly origin: PostgresService['origin'];
  /** Drops the database, and stops PostgreSQL if the harness started it. */
  drop(): Promise<void>;
}

/**
 * Creates a {@link WriteBenchDatabase} named after `label`.
 *
 * @example const database = await createWriteBenchDatabase('bench_outbox_write'); try { ... } finally { await database.drop(); }
 */
export async function createWriteBenchDatabase(label: string): Promise<WriteBenchDatabase> {
  const postgres = await resolvePostgres();
  const name = uniqueDatabaseName(label);
  await createDatabase(postgres.url, name);
  const url = withDatabase(postgres.url, name);
  const drop = async () => {
    await dropDatabase(postgres.url, name);
    await postgres.stop();
  };
  try {
    await migrateDatabase(url);
    const db = new Kysely<WriteBenchDb>({ dialect: new PostgresDialect({ pool: droppablePool(url, 1) }) });
    try {
      await setUpWriteBench(db, name);
    } finally {
      await db.destroy();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, origin: postgres.origin, drop };
}

const outbox = createOutbox({ source: '//rims/bench' });
const quiet = createOutbox({ source: '//rims/bench', notify: false });

/** The application's state change, the same in every variant. */
export const updateItem = (trx: Kysely<WriteBenchDb>, itemId: string) =>
  trx
    .updateTable('items')
    .set({ status: 'committed', updated_at: new Date() })
    .where('id', '=', itemId)
    .execute();

// The floor: BEGIN, the update, then the event's row and COMMIT in one message (no parameters, so
// `pg` sends it with the simple protocol), as `outbox.transaction` does, but as a bare INSERT.
const plainInsertAndCommit = (on: Kysely<WriteBenchDb>, itemId: string) =>
  on.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      await updateItem(conn, itemId);
      const { type, data } = committedEvent(itemId);
      const values = [randomUUID(), itemId, type, '//rims/bench', JSON.stringify(data)].map((value) =>
        pg.escapeLiteral(value),
      );
      await sql
        .raw(
          `INSERT INTO rims_outbox.events (id, subject, sequence, type, source, time, data) ` +
            `VALUES (${values[0]}, ${values[1]}, 1, ${values[2]}, ${values[3]}, clock_timestamp(), ${values[4]});\nCOMMIT;`,
        )
        .execute(conn);
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });

/**
 * The transaction of each variant, on `on` (one connection, or concurrent writers' pool), for the
 * item it is given.
 *
 * @example const { baseline, transaction } = writeVariants(db); await transaction(pickItem());
 */
export const writeVariants = (on: Kysely<WriteBenchDb>) => ({
  baseline: (itemId: string) => on.transaction().execute((trx) => updateItem(trx, itemId)),
  // The floor for any write that is one more statement: the same transaction plus a trivial one.
  trivialStatement: (itemId: string) =>
    on.transaction().execute(async (trx) => {
      await updateItem(trx, itemId);
      await sql`SELECT 1`.execute(trx);
    }),
  enqueue: (itemId: string) =>
    on.transaction().execute(async (trx) => {
      await updateItem(trx, itemId);
      await outbox.enqueue(trx, committedEvent(itemId));
    }),
  enqueueNoNotify: (itemId: string) =>
    on.transaction().execute(async (trx) => {
      await updateItem(trx, itemId);
      await quiet.enqueue(trx, committedEvent(itemId));
    }),
  transaction: (itemId: string) =>
    outbox.transaction(on, async (trx, events) => {
      await updateItem(trx, itemId);
      events.add(committedEvent(itemId));
    }),
  peer: (itemId: string) =>
    on.transaction().execute(async (trx) => {
      await updateItem(trx, itemId);
      const { type, data } = committedEvent(itemId);
      await storePeerMessage(trx, randomUUID(), itemId, type, data);
    }),
  plainInsertFloor: (itemId: string) => plainInsertAndCommit(on, itemId),
});

/** The variants' names, in the order they run. */
export type WriteVariant = keyof ReturnType<typeof writeVariants>;

/** A record with one fresh value per key. */
export const byKey = <K extends string, V>(keys: readonly K[], make: () => V): Record<K, V> =>
  Object.fromEntries(keys.map((key) => [key, make()])) as Record<K, V>;

/** Median (the lower middle of an even count, as `percentile`), min and max of per-round figures, unrounded. */
export const roundSpread = (figures: readonly number[]) => {
  const sorted = [...figures].sort((a, b) => a - b);
  return {
    median: sorted[Math.ceil(sorted.length / 2) - 1] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
};

/** Median, min and max over rounds of `measured[r] / baseline[r]`, with each round's ratio. */
export const ratioSpread = (measured: readonly number[], baseline: readonly number[]) => {
  const ratios = measured.map((value, round) => ratio(value, baseline[round] ?? Number.NaN));
  return { ...roundSpread(ratios), rounds: ratios };
};

/**
 * One writer, `rounds` rounds (after a warm-up round of at most 300 iterations): per round every
 * variant `iterations` times, interleaved, so that drift (autovacuum, checkpoints, a busy
 * neighbour) hits all alike. Returns each variant's latency (pooled p50/p99 and the rounds' p50 and
 * p99 as median, min and max, in µs) and its per-round ratios to another variant.
 *
 * @example const { latency, ratios } = await measureOneWriter(writeVariants(db), 1_000, 5); ratios('transaction').p50.median;
 */
export async function measureOneWriter(
  variants: ReturnType<typeof writeVariants>,
  iterations: number,
  rounds: number,
) {
  const order = Object.keys(variants) as WriteVariant[];
  const perRound = byKey(order, () => ({ p50: [] as number[], p99: [] as number[] }));
  const pooled = byKey(order, () => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    const warmup = round < 0;
    const samples = byKey(order, () => [] as number[]);
    for (let i = 0; i < (warmup ? Math.min(300, iterations) : iterations); i++) {
      for (const variant of order) {
        const started = process.hrtime.bigint();
        await variants[variant](pickItem());
        samples[variant].push(Number(process.hrtime.bigint() - started) / 1_000);
      }
    }
    if (warmup) continue;
    for (const variant of order) {
      perRound[variant].p50.push(percentile(samples[variant], 50));
      perRound[variant].p99.push(percentile(samples[variant], 99));
      pooled[variant].push(...samples[variant]);
    }
  }
  const latency = Object.fromEntries(
    order.map((variant) => [
      variant,
      {
        p50_us: percentile(pooled[variant], 50),
        p99_us: percentile(pooled[variant], 99),
        p50_us_per_round: roundSpread(perRound[variant].p50),
        p99_us_per_round: roundSpread(perRound[variant].p99),
      },
    ]),
  );
  const ratios = (variant: WriteVariant, versus: WriteVariant = 'baseline') => ({
    p50: ratioSpread(perRound[variant].p50, perRound[versus].p50),
    p99: ratioSpread(perRound[variant].p99, perRound[versus].p99),
  });
  return { order, latency, ratios };
}
