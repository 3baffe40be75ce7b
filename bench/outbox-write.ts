/**
 * bench/outbox-write: what the outbox adds to an application's write transaction.
 *
 * Baseline, measured in the same run on the same connection: BEGIN; UPDATE items; COMMIT.
 * Measured, the same transaction plus one event written by:
 * - `enqueue`: `outbox.enqueue(trx, event)`, one more statement (and round trip);
 * - `transaction`: `outbox.transaction(db, ...)` with `events.add(event)`, the event written by the
 *   message that commits (no round trip of its own);
 * - `peer`: `pg-transactional-outbox`'s `storeOutboxMessage` (its polling setup: table, indexes and
 *   next-messages function), one more statement, as the library documents it;
 * and, for reference, the transaction plus a trivial `SELECT 1` (the cost of one more round trip),
 * `enqueue` with `notify: false`, and the floor of writing any outbox row here: the same row as a
 * plain INSERT into our events table (both its indexes, fixed sequence, no counter, no function, no
 * validation) sent with COMMIT in one simple-protocol message, as `transaction` sends its write. Iterations interleave the variants so that drift (autovacuum,
 * checkpoints, a busy neighbour) hits all alike; `--rounds` rounds each give p50/p99 and their ratios
 * to the baseline, reported as median, min and max over the rounds.
 * Where the time goes: CPU of the PostgreSQL backend and of this process, and WAL bytes, per
 * transaction of each variant (`--rounds` blocks of 200, rotated; the median block, with min and
 * max), which a busy machine does not skew the way it skews latency.
 * Also: one transaction enqueueing 1,000 events versus a plain multi-row INSERT of the same payloads.
 *
 * Concurrent writers: `--connections` (default 8) connections commit the transaction back to back for
 * `--seconds` per variant and round, in `--rounds` alternating rounds, with a relay's LISTEN
 * connection open throughout: the baseline, `enqueue`, `transaction` and `peer` as above (no relay
 * waiting for a wake-up, what writers see while relays are busy or lingering), `enqueue` with
 * `notify: false`, and `enqueue` while one relay waits (every commit NOTIFYs, which PostgreSQL
 * serialises). Throughput (commits/s) and per-transaction p50/p99, with per-round ratios.
 *
 * Usage: pnpm bench:outbox-write [--iterations 1000] [--rounds 5] [--connections 8] [--seconds 2]
 * (`--iterations` per variant and round). Writes bench/results/outbox-write.json.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createOutbox, outboxWakeChannel } from '@rims/outbox';
import { droppablePool, waitFor } from '@rims/test-harness';
import {
  byKey,
  measureOneWriter,
  pickItem,
  ratioSpread,
  roundSpread,
  createWriteBenchDatabase,
  writeVariants,
  type WriteBenchDb,
  type WriteVariant,
} from './outbox-write-variants.js';
import { committedEvent } from './committed-event.js';
import { percentile, ratio, writeResults } from './results.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
  },
});
const ITERATIONS = Number(values.iterations);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

const database = await createWriteBenchDatabase('bench_outbox_write');
const { url } = database;
const db = new Kysely<WriteBenchDb>({
  dialect: new PostgresDialect({ pool: droppablePool(url, 1) }),
});
const concurrentDb = new Kysely<WriteBenchDb>({
  dialect: new PostgresDialect({ pool: droppablePool(url, CONNECTIONS) }),
});
// A relay's LISTEN connection, open throughout the concurrent measurement.
const listener = new pg.Client({ connectionString: url });

try {
  const outbox = createOutbox({ source: '//rims/bench' });
  const single = writeVariants(db);
  // One writer: per round, every variant ITERATIONS times, interleaved.
  const { order, latency, ratios: singleRatios } = await measureOneWriter(single, ITERATIONS, ROUNDS);
  const ratiosToBaseline = Object.fromEntries(
    order.filter((variant) => variant !== 'baseline').map((variant) => [variant, singleRatios(variant)]),
  ) as Record<Exclude<WriteVariant, 'baseline'>, ReturnType<typeof singleRatios>>;
  const transactionVersusPeer = singleRatios('transaction', 'peer');
  const transactionVersusFloor = singleRatios('transaction', 'plainInsertFloor');

  // Where the time goes, independent of how busy the machine is: CPU time of the PostgreSQL backend
  // serving the connection (from /proc/<pid>/schedstat, so only with a local server), CPU time of
  // this process, and WAL bytes, per transaction of each variant, in blocks of 200, rotated.
  const backendPid = async () =>
    (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]?.pid ?? 0;
  const backendCpuNs = (pid: number): number | undefined => {
    try {
      return Number(readFileSync(`/proc/${String(pid)}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return undefined; // PostgreSQL runs elsewhere (a container, another host)
    }
  };
  const walLsn = async () =>
    (await sql<{ bytes: string }>`SELECT pg_current_wal_insert_lsn() - '0/0' AS bytes`.execute(db)).rows[0]
      ?.bytes ?? '0';
  // Per block, per transaction; reported as the median block (min and max beside it), so that a
  // checkpoint's full-page images or a busy neighbour landing in one block does not tilt a variant.
  const cost = byKey(order, () => ({
    backendUs: [] as number[],
    clientUs: [] as number[],
    walBytes: [] as number[],
  }));
  let backendKnown = true;
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of order) {
      const pid = await backendPid();
      const [backendBefore, clientBefore, walBefore] = [
        backendCpuNs(pid),
        process.cpuUsage(),
        await walLsn(),
      ];
      for (let i = 0; i < 200; i++) await single[variant](pickItem());
      const [backendAfter, client, walAfter] = [
        backendCpuNs(pid),
        process.cpuUsage(clientBefore),
        await walLsn(),
      ];
      const entry = cost[variant];
      if (backendBefore === undefined || backendAfter === undefined) backendKnown = false;
      else entry.backendUs.push((backendAfter - backendBefore) / 200 / 1_000);
      entry.clientUs.push((client.user + client.system) / 200);
      entry.walBytes.push((Number(walAfter) - Number(walBefore)) / 200);
    }
  }
  const oneDecimal = (value: number) => Math.round(value * 10) / 10;
  const blockSpread = (figures: readonly number[], round: (value: number) => number) => {
    const { median, min, max } = roundSpread(figures);
    return { median: round(median), min: round(min), max: round(max) };
  };
  const costPerTransaction = Object.fromEntries(
    order.map((variant) => {
      const { backendUs, clientUs, walBytes } = cost[variant];
      const backend = backendKnown ? blockSpread(backendUs, oneDecimal) : null;
      const wal = blockSpread(walBytes, Math.round);
      return [
        variant,
        {
          backend_cpu_us: backend?.median ?? null,
          client_cpu_us: blockSpread(clientUs, oneDecimal).median,
          wal_bytes: wal.median,
          per_block: { backend_cpu_us: backend, wal_bytes: wal },
        },
      ];
    }),
  );

  // Bulk: 1,000 events in one transaction, against a plain INSERT of the same rows.
  const bulkRuns = 30;
  const bulk: number[] = [];
  const plain: number[] = [];
  for (let run = 0; run < bulkRuns + 3; run++) {
    const events = Array.from({ length: 1_000 }, () => committedEvent(pickItem()));
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
  const concurrently = writeVariants(concurrentDb);
  const concurrentVariants = {
    baseline: { run: concurrently.baseline, relayWaiting: false },
    enqueue: { run: concurrently.enqueue, relayWaiting: false },
    transaction: { run: concurrently.transaction, relayWaiting: false },
    peer: { run: concurrently.peer, relayWaiting: false },
    plain_insert_floor: { run: concurrently.plainInsertFloor, relayWaiting: false },
    no_notify: { run: concurrently.enqueueNoNotify, relayWaiting: false },
    notify_one_relay_waiting: { run: concurrently.enqueue, relayWaiting: true },
  };
  type ConcurrentVariant = keyof typeof concurrentVariants;
  const concurrentOrder = Object.keys(concurrentVariants) as ConcurrentVariant[];
  const concurrentSamples = byKey(concurrentOrder, () => ({
    micros: [] as number[],
    commits: 0,
    seconds: 0,
    notifications: 0,
    tps: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
  }));

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
          await run(pickItem());
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
    sample.tps.push(Math.round(micros.length / elapsed));
    sample.p50.push(percentile(micros, 50));
    sample.p99.push(percentile(micros, 99));
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
  const concurrentRatios = (variant: ConcurrentVariant, versus: ConcurrentVariant) => {
    const [measured, base] = [concurrentSamples[variant], concurrentSamples[versus]];
    return {
      tps: ratioSpread(measured.tps, base.tps),
      p50: ratioSpread(measured.p50, base.p50),
      p99: ratioSpread(measured.p99, base.p99),
    };
  };
  const concurrentToBaseline = Object.fromEntries(
    concurrentOrder
      .filter((variant) => variant !== 'baseline')
      .map((variant) => [variant, concurrentRatios(variant, 'baseline')]),
  ) as Record<Exclude<ConcurrentVariant, 'baseline'>, ReturnType<typeof concurrentRatios>>;

  const results = {
    iterations_per_round: ITERATIONS,
    rounds: ROUNDS,
    postgres: database.origin,
    latency,
    // Medians over rounds of each round's ratio; min, max and every round under the sections below.
    ratios: {
      p50: ratiosToBaseline.enqueue.p50.median,
      p99: ratiosToBaseline.enqueue.p99.median,
      transaction_p50: ratiosToBaseline.transaction.p50.median,
      transaction_p99: ratiosToBaseline.transaction.p99.median,
      peer_p50: ratiosToBaseline.peer.p50.median,
      peer_p99: ratiosToBaseline.peer.p99.median,
      transaction_vs_peer_p50: transactionVersusPeer.p50.median,
      plain_insert_floor_p50: ratiosToBaseline.plainInsertFloor.p50.median,
      transaction_vs_plain_insert_floor_p50: transactionVersusFloor.p50.median,
      p50_without_notify: ratiosToBaseline.enqueueNoNotify.p50.median,
      p50_round_trip_floor: ratiosToBaseline.trivialStatement.p50.median,
      bulk_1000_vs_plain_insert: ratio(percentile(bulk, 50), percentile(plain, 50)),
      // The concurrent writers' figures, flat for bench/results/all.json (details under `concurrent`).
      concurrent_p50_enqueue: concurrentToBaseline.enqueue.p50.median,
      concurrent_p50_transaction: concurrentToBaseline.transaction.p50.median,
      concurrent_p50_peer: concurrentToBaseline.peer.p50.median,
      concurrent_tps_enqueue: concurrentToBaseline.enqueue.tps.median,
      concurrent_tps_transaction: concurrentToBaseline.transaction.tps.median,
      concurrent_tps_peer: concurrentToBaseline.peer.tps.median,
      concurrent_tps_plain_insert_floor: concurrentToBaseline.plain_insert_floor.tps.median,
      concurrent_tps_notify_one_relay_waiting: concurrentToBaseline.notify_one_relay_waiting.tps.median,
    },
    single_writer: {
      ratios_to_baseline: ratiosToBaseline,
      transaction_vs_peer: transactionVersusPeer,
      transaction_vs_plain_insert_floor: transactionVersusFloor,
    },
    // Per transaction, the median of the blocks (per_block: min and max too); backend_cpu_us is null
    // when PostgreSQL is not a local process.
    cost_per_transaction: costPerTransaction,
    bulk_1000: { enqueue_p50_ms: percentile(bulk, 50), plain_insert_p50_ms: percentile(plain, 50) },
    concurrent: {
      connections: CONNECTIONS,
      seconds_per_variant: SECONDS * ROUNDS,
      ...concurrent,
      ratios_to_baseline: concurrentToBaseline,
      transaction_vs_peer: concurrentRatios('transaction', 'peer'),
    },
    targets: { transaction_p50: 1.1, transaction_vs_peer_p50: 1 },
  };
  writeResults('outbox-write', results);
} finally {
  await listener.end().catch(() => undefined);
  await concurrentDb.destroy();
  await db.destroy();
  await database.drop();
}
