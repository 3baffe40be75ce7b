/**
 * bench/outbox-write: what the outbox adds to an application's write transaction.
 *
 * Baseline, measured in the same run on the same connection: BEGIN; UPDATE items; COMMIT.
 * Measured: the same transaction plus `outbox.enqueue` of one event. Iterations alternate between the
 * two so that drift (autovacuum, checkpoints, a busy neighbour) hits both alike.
 * Also: one transaction enqueueing 1,000 events versus a plain multi-row INSERT of the same payloads.
 *
 * Concurrent writers: `--connections` (default 8) connections commit the transaction back to back for
 * `--seconds` per variant, in `--rounds` alternating rounds, with a relay's LISTEN connection open
 * throughout. Variants: the transaction without enqueue; enqueue with `notify: false` (the baseline
 * of the ratios); enqueue with `notify: true` while no relay waits (relay_waiting empty: what writers
 * see while relays are busy or lingering); and the same while one relay waits (every commit
 * NOTIFYs, which PostgreSQL serialises). Throughput (commits/s) and per-transaction p50/p99.
 *
 * Usage: pnpm bench:outbox-write [--iterations 3000] [--connections 8] [--seconds 3] [--rounds 3]
 * Writes bench/results/outbox-write.json.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { createOutbox, outboxWakeChannel } from '@rims/outbox';
import {
  createDatabase,
  dropDatabase,
  droppablePool,
  migrateDatabase,
  resolvePostgres,
  uniqueDatabaseName,
  waitFor,
  withDatabase,
} from '@rims/test-harness';
import { percentile, ratio, writeResults } from './results.js';

interface Db {
  items: { id: string; status: string; updated_at: Date };
  plain_events: { id: string; subject: string; type: string; data: string };
}

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
  },
});
const iterations = Number(values.iterations);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const ITEMS = 10_000;

const postgres = await resolvePostgres();
const name = uniqueDatabaseName('bench_outbox_write');
await createDatabase(postgres.url, name);
const url = withDatabase(postgres.url, name);
await migrateDatabase(url);
const db = new Kysely<Db>({
  dialect: new PostgresDialect({ pool: droppablePool(url, 1) }),
});
const concurrentDb = new Kysely<Db>({
  dialect: new PostgresDialect({ pool: droppablePool(url, CONNECTIONS) }),
});
// A relay's LISTEN connection, open throughout the concurrent measurement.
const listener = new pg.Client({ connectionString: url });

try {
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

  const outbox = createOutbox({ source: '//rims/bench' });
  const quiet = createOutbox({ source: '//rims/bench', notify: false });
  // The application's state change, the same in every variant.
  const updateItem = (trx: Transaction<Db>, itemId: string) =>
    trx
      .updateTable('items')
      .set({ status: 'committed', updated_at: new Date() })
      .where('id', '=', itemId)
      .execute();
  const pick = () => `item-${String(1 + Math.floor(Math.random() * ITEMS))}`;
  const event = (itemId: string) => ({
    type: 'rims.item.committed.v1' as const,
    subject: itemId,
    data: { item_id: itemId, order_id: randomUUID(), sku: 'SKU-123', quantity: 1, location_id: 'store-7' },
  });

  const variants = {
    baseline: async (itemId: string) => {
      await db.transaction().execute(async (trx) => {
        await updateItem(trx, itemId);
      });
    },
    withEnqueue: async (itemId: string) => {
      await db.transaction().execute(async (trx) => {
        await updateItem(trx, itemId);
        await outbox.enqueue(trx, event(itemId));
      });
    },
    // The floor for any enqueue: the same transaction plus one trivial statement (one round trip).
    withTrivialStatement: async (itemId: string) => {
      await db.transaction().execute(async (trx) => {
        await updateItem(trx, itemId);
        await sql`SELECT 1`.execute(trx);
      });
    },
    withEnqueueNoNotify: async (itemId: string) => {
      await db.transaction().execute(async (trx) => {
        await updateItem(trx, itemId);
        await quiet.enqueue(trx, event(itemId));
      });
    },
  };
  type Variant = keyof typeof variants;
  const samples: Record<Variant, number[]> = {
    baseline: [],
    withEnqueue: [],
    withTrivialStatement: [],
    withEnqueueNoNotify: [],
  };
  const order = Object.keys(variants) as Variant[];

  const warmup = Math.min(300, iterations);
  for (let i = 0; i < warmup + iterations; i++) {
    for (const variant of order) {
      const started = process.hrtime.bigint();
      await variants[variant](pick());
      const micros = Number(process.hrtime.bigint() - started) / 1_000;
      if (i >= warmup) samples[variant].push(micros);
    }
  }

  const latency = Object.fromEntries(
    order.map((variant) => [
      variant,
      { p50_us: percentile(samples[variant], 50), p99_us: percentile(samples[variant], 99) },
    ]),
  ) as Record<Variant, { p50_us: number; p99_us: number }>;

  // Bulk: 1,000 events in one transaction, against a plain INSERT of the same rows.
  const bulkRuns = 30;
  const bulk: number[] = [];
  const plain: number[] = [];
  for (let run = 0; run < bulkRuns + 3; run++) {
    const events = Array.from({ length: 1_000 }, () => event(pick()));
    let started = process.hrtime.bigint();
    await db.transaction().execute((trx) => outbox.enqueue(trx, events));
    const bulkMs = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('plain_events')
        .values(
          events.map((e) => ({
            id: randomUUID(),
            subject: e.subject,
            type: e.type,
            data: JSON.stringify(e.data),
          })),
        )
        .execute();
    });
    const plainMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (run >= 3) {
      bulk.push(bulkMs);
      plain.push(plainMs);
    }
  }

  // Concurrent writers.
  await listener.connect();
  let notificationsReceived = 0;
  listener.on('notification', () => {
    notificationsReceived += 1;
  });
  await listener.query(`LISTEN ${pg.escapeIdentifier(outboxWakeChannel('rims_outbox'))}`);
  const commitItem = (variant: 'baseline' | 'no_notify' | 'notify') => async (itemId: string) => {
    await concurrentDb.transaction().execute(async (trx) => {
      await updateItem(trx, itemId);
      if (variant === 'no_notify') await quiet.enqueue(trx, event(itemId));
      if (variant === 'notify') await outbox.enqueue(trx, event(itemId));
    });
  };
  const concurrentVariants = {
    baseline: { run: commitItem('baseline'), relayWaiting: false },
    no_notify: { run: commitItem('no_notify'), relayWaiting: false },
    notify_no_relay_waiting: { run: commitItem('notify'), relayWaiting: false },
    notify_one_relay_waiting: { run: commitItem('notify'), relayWaiting: true },
  };
  type ConcurrentVariant = keyof typeof concurrentVariants;
  const concurrentOrder = Object.keys(concurrentVariants) as ConcurrentVariant[];
  const concurrentSamples = Object.fromEntries(
    concurrentOrder.map((variant) => [
      variant,
      { micros: [] as number[], commits: 0, seconds: 0, notifications: 0 },
    ]),
  ) as Record<
    ConcurrentVariant,
    { micros: number[]; commits: number; seconds: number; notifications: number }
  >;

  const runConcurrently = async (variant: ConcurrentVariant, seconds: number, record: boolean) => {
    const { run, relayWaiting } = concurrentVariants[variant];
    if (relayWaiting)
      await sql`INSERT INTO rims_outbox.relay_waiting (replica_id) VALUES ('bench-relay')`.execute(db);
    const notificationsBefore = notificationsReceived;
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(Math.round(seconds * 1e9));
    const micros: number[] = [];
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (process.hrtime.bigint() < deadline) {
          const began = process.hrtime.bigint();
          await run(pick());
          micros.push(Number(process.hrtime.bigint() - began) / 1_000);
        }
      }),
    );
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    if (relayWaiting) await sql`DELETE FROM rims_outbox.relay_waiting`.execute(db);
    // Notifications are delivered in commit order: once this one arrives, all of the variant's have.
    const sentinel = notificationsReceived + 1;
    await sql`SELECT pg_notify(${outboxWakeChannel('rims_outbox')}, 'sentinel')`.execute(db);
    await waitFor(() => notificationsReceived >= sentinel, {
      timeoutMs: 10_000,
      description: 'the sentinel',
    });
    if (!record) return;
    const sample = concurrentSamples[variant];
    sample.micros.push(...micros);
    sample.commits += micros.length;
    sample.seconds += elapsed;
    sample.notifications += notificationsReceived - 1 - notificationsBefore;
  };
  for (const variant of concurrentOrder) await runConcurrently(variant, 0.5, false);
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of concurrentOrder) await runConcurrently(variant, SECONDS, true);
  }
  const concurrent = Object.fromEntries(
    concurrentOrder.map((variant) => {
      const sample = concurrentSamples[variant];
      return [
        variant,
        {
          commits: sample.commits,
          tps: Math.round(sample.commits / sample.seconds),
          p50_us: percentile(sample.micros, 50),
          p99_us: percentile(sample.micros, 99),
          notifications_per_commit: ratio(sample.notifications, sample.commits),
        },
      ];
    }),
  ) as Record<
    ConcurrentVariant,
    { commits: number; tps: number; p50_us: number; p99_us: number; notifications_per_commit: number }
  >;
  const versusNoNotify = (variant: ConcurrentVariant) => ({
    tps: ratio(concurrent[variant].tps, concurrent.no_notify.tps),
    p50: ratio(concurrent[variant].p50_us, concurrent.no_notify.p50_us),
    p99: ratio(concurrent[variant].p99_us, concurrent.no_notify.p99_us),
  });

  const results = {
    iterations,
    postgres: postgres.origin,
    latency,
    ratios: {
      p50: ratio(latency.withEnqueue.p50_us, latency.baseline.p50_us),
      p99: ratio(latency.withEnqueue.p99_us, latency.baseline.p99_us),
      p50_without_notify: ratio(latency.withEnqueueNoNotify.p50_us, latency.baseline.p50_us),
      p50_round_trip_floor: ratio(latency.withTrivialStatement.p50_us, latency.baseline.p50_us),
      bulk_1000_vs_plain_insert: ratio(percentile(bulk, 50), percentile(plain, 50)),
      // The concurrent writers' figures, flat for bench/results/all.json (details under `concurrent`).
      concurrent_tps_notify_no_relay_waiting_vs_no_notify: versusNoNotify('notify_no_relay_waiting').tps,
      concurrent_p50_notify_no_relay_waiting_vs_no_notify: versusNoNotify('notify_no_relay_waiting').p50,
      concurrent_tps_notify_one_relay_waiting_vs_no_notify: versusNoNotify('notify_one_relay_waiting').tps,
      concurrent_p50_notify_one_relay_waiting_vs_no_notify: versusNoNotify('notify_one_relay_waiting').p50,
    },
    bulk_1000: { enqueue_p50_ms: percentile(bulk, 50), plain_insert_p50_ms: percentile(plain, 50) },
    concurrent: {
      connections: CONNECTIONS,
      seconds_per_variant: SECONDS * ROUNDS,
      ...concurrent,
      // Each variant divided by enqueue with notify: false, measured in the same run.
      ratios_to_no_notify: {
        baseline: versusNoNotify('baseline'),
        notify_no_relay_waiting: versusNoNotify('notify_no_relay_waiting'),
        notify_one_relay_waiting: versusNoNotify('notify_one_relay_waiting'),
      },
    },
    targets: { p50: 1.25 },
  };
  writeResults('outbox-write', results);
} finally {
  await listener.end().catch(() => undefined);
  await concurrentDb.destroy();
  await db.destroy();
  await dropDatabase(postgres.url, name);
  await postgres.stop();
}
