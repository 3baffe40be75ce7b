/**
 * bench/relay-throughput: how fast the relay drains a backlog, against two baselines measured in
 * the same run on the same machine, PostgreSQL and Pub/Sub emulator:
 * - publish loop: the same messages (same payloads, ordering keys and client batching settings)
 *   published by a plain loop with no database at all: the ceiling Pub/Sub and the client allow;
 * - claim-and-mark loop: the relay's own fetch and mark queries in a bare loop with no publishing:
 *   the ceiling the database allows.
 * Runs alternate (publish loop, claim-and-mark, relay) so drift hits all alike; the median run counts.
 *
 * Usage: pnpm bench:relay-throughput [--events 20000] [--subjects 200] [--runs 3]
 * Writes bench/results/relay-throughput.json.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createOutbox } from '@rims/outbox';
import { createRelay } from '@rims/relay';
import { buildCloudEvent, toPubSubMessage, type EventInput } from '@rims/schemas';
import { readSql, renderSql } from '@rims/sql';
import { waitFor } from '@rims/test-harness';
import { relayBenchEnvironment } from './relay-environment.js';
import { percentile, ratio, writeResults } from './results.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    subjects: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(values.events);
const SUBJECTS = Number(values.subjects);
const RUNS = Number(values.runs);
/** The relay's own client settings (packages/relay/src/relay.ts), so the baseline is like for like. */
const TOPIC_OPTIONS = {
  messageOrdering: true,
  batching: { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 1 },
  gaxOpts: { timeout: 4_000 },
};

const env = await relayBenchEnvironment('bench_relay_throughput');
const { url, pool, db, pubsub, topicName } = env;

const outbox = createOutbox({ source: '//rims/bench', notify: false });
const subjects = Array.from({ length: SUBJECTS }, (_, i) => `item-${String(i)}`);
const events: EventInput[] = Array.from({ length: EVENTS }, (_, i) => {
  const subject = subjects[i % SUBJECTS] ?? 'item-0';
  return {
    type: 'rims.item.committed.v1',
    subject,
    data: { item_id: subject, order_id: randomUUID(), sku: 'SKU-123', quantity: 1, location_id: 'store-7' },
  };
});

async function enqueueAll(): Promise<void> {
  await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
  for (let start = 0; start < EVENTS; start += 1_000) {
    const chunk = events.slice(start, start + 1_000);
    await db.transaction().execute((trx) => outbox.enqueue(trx, chunk));
  }
  await sql`VACUUM ANALYZE rims_outbox.events`.execute(db);
}

/** Baseline 1: the same messages, published by a loop with no database. */
async function publishLoop(): Promise<number> {
  const sequences = new Map<string, number>();
  const messages = events.map((event) => {
    const sequence = (sequences.get(event.subject) ?? 0) + 1;
    sequences.set(event.subject, sequence);
    return toPubSubMessage(
      buildCloudEvent({
        id: randomUUID(),
        source: '//rims/bench',
        type: event.type,
        subject: event.subject,
        time: new Date(),
        sequence,
        data: event.data,
      }),
    );
  });
  const topic = pubsub.topic(topicName, TOPIC_OPTIONS);
  const started = performance.now();
  await Promise.all(messages.map((message) => topic.publishMessage(message)));
  return EVENTS / ((performance.now() - started) / 1000);
}

/** Baseline 2: the relay's fetch and mark queries in a bare loop, publishing nothing. */
async function claimAndMarkLoop(): Promise<number> {
  const fetch = renderSql(readSql('postgres/relay/fetch-pending.sql'), { schema: 'rims_outbox' }, 'postgres');
  const mark = renderSql(readSql('postgres/relay/mark-published.sql'), { schema: 'rims_outbox' }, 'postgres');
  const partitions = Array.from({ length: 64 }, (_, i) => i);
  const started = performance.now();
  let done = 0;
  for (;;) {
    const rows = (
      await pool.query<{ position: string }>(fetch, [partitions, [], '9223372036854775807', 1000, []])
    ).rows;
    if (rows.length === 0) break;
    await pool.query(mark, [rows.map((row) => row.position)]);
    done += rows.length;
  }
  if (done !== EVENTS)
    throw new Error(`claim-and-mark loop saw ${String(done)} events, not ${String(EVENTS)}`);
  return EVENTS / ((performance.now() - started) / 1000);
}

/**
 * The relay draining the backlog until every event is recorded as published, timed from the moment
 * `start()` resolves (it publishes nothing before: it connects, registers and takes its leases, which
 * a long-running relay does once). The start-up time is reported on its own.
 */
async function relayRun(): Promise<{ eventsPerSecond: number; startMs: number }> {
  let published = 0;
  const relay = createRelay({
    databaseUrl: url,
    pubsub,
    topic: topicName,
    logger: pino({ level: 'warn' }),
    onPublished: (events) => (published += events.length),
  });
  const starting = performance.now();
  await relay.start();
  const started = performance.now();
  // Counted from the relay's own reports first, so that the check does not load PostgreSQL while
  // the relay runs; then the database confirms every event is recorded as published.
  await waitFor(() => published >= EVENTS, {
    timeoutMs: 300_000,
    intervalMs: 1,
    description: 'Pub/Sub to accept every event',
  });
  await waitFor(
    async () => {
      const pending = await sql<{ n: string }>`
        SELECT count(*) AS n FROM rims_outbox.events WHERE published_at IS NULL`.execute(db);
      return Number(pending.rows[0]?.n) === 0;
    },
    { timeoutMs: 60_000, intervalMs: 2, description: 'the relay to record every event as published' },
  );
  const elapsed = performance.now() - started;
  await relay.stop({ timeout: 10_000 });
  return { eventsPerSecond: EVENTS / (elapsed / 1000), startMs: started - starting };
}

try {
  const samples = {
    publishLoop: [] as number[],
    claimAndMark: [] as number[],
    relay: [] as number[],
    relayStartMs: [] as number[],
  };
  // One warm-up of each (JIT, connections, the emulator's topic), not counted.
  await publishLoop();
  await enqueueAll();
  await claimAndMarkLoop();
  for (let run = 0; run < RUNS; run++) {
    samples.publishLoop.push(await publishLoop());
    await enqueueAll();
    samples.claimAndMark.push(await claimAndMarkLoop());
    await enqueueAll();
    const relay = await relayRun();
    samples.relay.push(relay.eventsPerSecond);
    samples.relayStartMs.push(relay.startMs);
    console.log(
      `run ${String(run + 1)}: publish loop ${samples.publishLoop.at(-1)?.toFixed(0) ?? ''}/s, claim-and-mark ${samples.claimAndMark.at(-1)?.toFixed(0) ?? ''}/s, relay ${samples.relay.at(-1)?.toFixed(0) ?? ''}/s (start ${relay.startMs.toFixed(0)} ms)`,
    );
  }
  const median = (list: number[]) => percentile(list, 50);
  const eventsPerSecond = {
    relay: median(samples.relay),
    publish_loop: median(samples.publishLoop),
    claim_and_mark_loop: median(samples.claimAndMark),
  };
  writeResults('relay-throughput', {
    events: EVENTS,
    subjects: SUBJECTS,
    runs: RUNS,
    postgres: env.origins.postgres,
    pubsub: env.origins.pubsub,
    events_per_second: eventsPerSecond,
    relay_start_ms: Math.round(median(samples.relayStartMs)),
    // Keyed by run (not arrays), so the file stays as prettier formats it.
    runs_events_per_second: Object.fromEntries(
      samples.relay.map((relay, i) => [
        `run_${String(i + 1)}`,
        {
          relay: Math.round(relay),
          publish_loop: Math.round(samples.publishLoop[i] ?? 0),
          claim_and_mark_loop: Math.round(samples.claimAndMark[i] ?? 0),
          relay_start_ms: Math.round(samples.relayStartMs[i] ?? 0),
        },
      ]),
    ),
    ratios: {
      relay_vs_publish_loop: ratio(eventsPerSecond.relay, eventsPerSecond.publish_loop),
      relay_vs_claim_and_mark_loop: ratio(eventsPerSecond.relay, eventsPerSecond.claim_and_mark_loop),
    },
    targets: { relay_vs_publish_loop: 0.6 },
  });
} finally {
  await env.close();
}
