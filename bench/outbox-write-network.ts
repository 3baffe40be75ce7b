/**
 * bench/outbox-write-network: bench/outbox-write's one-writer comparison with the database across a
 * network instead of loopback. Applications reach Cloud SQL over the network, where every round
 * trip costs far more than on loopback, and an outbox that writes its event with one more statement
 * pays one more of them per transaction; `outbox.transaction` sends the event with COMMIT instead.
 *
 * The transactions of bench/outbox-write (bench/outbox-write-variants.ts: the baseline, `enqueue`,
 * `transaction`, `pg-transactional-outbox`, the floor of any outbox row, one more `SELECT 1`) go
 * through a TCP proxy in this process that holds every chunk `--delay-ms` milliseconds each way
 * (the harness's FaultProxy). The round trip that gives, measured as the p50 of `SELECT 1` alone
 * through the proxy, is written beside the ratios. Rounds and ratios as in bench/outbox-write:
 * every variant `--iterations` times per round, interleaved, per-round p50 and p99 over the
 * baseline's, median, min and max over `--rounds`.
 *
 * Usage: pnpm bench:outbox-write-network [--delay-ms 1] [--iterations 200] [--rounds 5]
 * Writes bench/results/outbox-write-network.json.
 */
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { droppablePool, startFaultProxy } from '@rims/test-harness';
import {
  createWriteBenchDatabase,
  measureOneWriter,
  writeVariants,
  type WriteBenchDb,
} from './outbox-write-variants.js';
import { percentile, writeResults } from './results.js';

const { values } = parseArgs({
  options: {
    'delay-ms': { type: 'string', default: '1' },
    iterations: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
  },
});
const DELAY_MS = Number(values['delay-ms']);
const ITERATIONS = Number(values.iterations);
const ROUNDS = Number(values.rounds);

const database = await createWriteBenchDatabase('bench_outbox_write_network');
const { url } = database;
const server = new URL(url);
const proxy = await startFaultProxy(`${server.hostname}:${server.port || '5432'}`);
const proxied = new URL(url);
proxied.hostname = '127.0.0.1';
proxied.port = String(proxy.port);
const db = new Kysely<WriteBenchDb>({
  dialect: new PostgresDialect({ pool: droppablePool(proxied.toString(), 1) }),
});

try {
  proxy.delay(DELAY_MS);

  // The network's round trip as the client sees it: SELECT 1 alone, on the proxied connection.
  const roundTrips: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = process.hrtime.bigint();
    await sql`SELECT 1`.execute(db);
    roundTrips.push(Number(process.hrtime.bigint() - started) / 1_000_000);
  }
  const roundTripMs = percentile(roundTrips, 50);
  console.log(`one-way delay ${String(DELAY_MS)} ms: SELECT 1 round trip p50 ${String(roundTripMs)} ms`);

  const { order, latency, ratios } = await measureOneWriter(writeVariants(db), ITERATIONS, ROUNDS);
  const ratiosToBaseline = Object.fromEntries(
    order.filter((variant) => variant !== 'baseline').map((variant) => [variant, ratios(variant)]),
  );
  const transactionVersusPeer = ratios('transaction', 'peer');
  for (const variant of order) {
    const { p50_us_per_round: p50 } = latency[variant] ?? { p50_us_per_round: { median: Number.NaN } };
    console.log(`${variant}: p50 ${(p50.median / 1_000).toFixed(2)} ms (median of ${String(ROUNDS)} rounds)`);
  }

  writeResults('outbox-write-network', {
    postgres: database.origin,
    one_way_delay_ms: DELAY_MS,
    round_trip_p50_ms: roundTripMs,
    iterations_per_round: ITERATIONS,
    rounds: ROUNDS,
    latency,
    single_writer: {
      ratios_to_baseline: ratiosToBaseline,
      transaction_vs_peer: transactionVersusPeer,
    },
    ratios: {
      transaction_p50: ratios('transaction').p50.median,
      transaction_p99: ratios('transaction').p99.median,
      enqueue_p50: ratios('enqueue').p50.median,
      peer_p50: ratios('peer').p50.median,
      plain_insert_floor_p50: ratios('plainInsertFloor').p50.median,
      round_trip_floor_p50: ratios('trivialStatement').p50.median,
      transaction_vs_peer_p50: transactionVersusPeer.p50.median,
    },
    targets: { transaction_p50: 1.1, transaction_vs_peer_p50: 1 },
  });
} finally {
  await db.destroy();
  await proxy.close();
  await database.drop();
}
