/**
 * bench/relay-throughput: how fast the relay drains a backlog, against two baselines measured in
 * the same run on the same machine, PostgreSQL and Pub/Sub emulator:
 * - publish loop: the same messages (same payloads, ordering keys and client batching settings)
 *   published by a plain loop with no database at all: the ceiling Pub/Sub and the client allow;
 * - claim-and-mark loop: the relay's own fetch and mark queries in a bare loop with no publishing:
 *   the ceiling the database allows.
 * The relay does both, so the serial bound 1 / (1 / publish loop + 1 / claim-and-mark loop) is what
 * it reaches if it overlaps nothing and adds nothing; efficiency is relay / serial bound, per round.
 * Each round runs the two baselines, one relay in this process, and 2 replicas of the real binary
 * in processes of their own, so drift hits all alike. Beside events/s it reports CPU microseconds
 * per event of each (this process, or the replicas' processes) and of the PostgreSQL backends, and
 * the relay's statements per 1,000 events (its `rims_relay_db_statements_total`).
 *
 * Usage: pnpm bench:relay-throughput [--events 20000] [--subjects 200] [--rounds 5] [--warm-ups 3]
 * Writes bench/results/relay-throughput.json.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createOutbox } from '@rims/outbox';
import { createRelay, type Relay } from '@rims/relay';
import { encodeEvent, type EventInput } from '@rims/schemas';
import { readSql, renderSql } from '@rims/sql';
import { waitFor } from '@rims/test-harness';
import { committedEvent } from './committed-event.js';
import { relayBenchEnvironment } from './relay-environment.js';
import {
  databaseCpuMicros,
  databaseCpuSpent,
  processCpuMicros,
  startRelayReplica,
  type RelayReplica,
} from './relay-process.js';
import { percentile, ratio, spread, writeResults, type Spread } from './results.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    subjects: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    'warm-ups': { type: 'string', default: '3' },
  },
});
const EVENTS = Number(values.events);
const SUBJECTS = Number(values.subjects);
const ROUNDS = Number(values.rounds);
/**
 * Untimed runs of each loop, and drains of each new replica, before anything is timed. Every one of
 * them speeds up over its first 60,000 or so events (compiled code and heap sizes, most likely),
 * the relay and the publish loop alike. On 2026-12-02, drains of 20,000 by one relay in a process ran at 8,900 to
 * 12,600 events/s in the first two and 12,000 to 23,000 from the fourth on; a fresh binary at
 * 9,800 to 12,000 first and 16,500 to 22,200 from its fourth; the publish loop at 8,500 to 14,000
 * first and 17,000 to 33,000 from its third. With one warm-up, round 1 timed them still warming.
 */
const WARM_UPS = Number(values['warm-ups']);
/**
 * The relay's own client settings (packages/relay/src/runtime/boot.ts), so the baseline is like for
 * like, except the deadline: 20,000 messages handed over at once can take the emulator longer than
 * the relay's 4 s on these shared cores, and the baseline measures the ceiling, not the deadline.
 */
const TOPIC_OPTIONS = {
  messageOrdering: true,
  batching: { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 1 },
  gaxOpts: { timeout: 30_000 },
};
const STATEMENTS = 'rims_relay_db_statements_total';

const env = await relayBenchEnvironment('bench_relay_throughput');
const { url, pool, db, pubsub, topicName } = env;

const outbox = createOutbox({ source: '//rims/bench', notify: true });
const subjects = Array.from({ length: SUBJECTS }, (_, i) => `item-${String(i)}`);
const events: EventInput[] = Array.from({ length: EVENTS }, (_, i) =>
  committedEvent(subjects[i % SUBJECTS] ?? 'item-0'),
);

/** One timed run: events/s, CPU µs per event of the code under test and of PostgreSQL. */
interface Run {
  eventsPerSecond: number;
  cpuMicrosPerEvent: number;
  databaseCpuMicrosPerEvent: number;
  /** The relay's statements per 1,000 events, by SQL file. */
  statementsPer1000?: Record<string, number>;
}

/** The whole backlog in one transaction: it becomes visible at once, when the clock starts. */
async function enqueueAll(): Promise<void> {
  await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < EVENTS; start += 1_000)
      await outbox.enqueue(trx, events.slice(start, start + 1_000));
  });
  await sql`VACUUM ANALYZE rims_outbox.events`.execute(db);
}

/** Times `work` (which handles `count` events) with this process's and the database's CPU. */
async function timed(work: () => Promise<void>, ownCpu: () => number): Promise<Run> {
  const databaseBefore = await databaseCpuMicros(pool);
  const cpuBefore = ownCpu();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = ownCpu() - cpuBefore;
  const database = databaseCpuSpent(databaseBefore, await databaseCpuMicros(pool));
  return {
    eventsPerSecond: EVENTS / seconds,
    cpuMicrosPerEvent: cpu / EVENTS,
    databaseCpuMicrosPerEvent: database / EVENTS,
  };
}

const thisProcessCpu = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/**
 * Baseline 1: the same events published by a loop with no database: each one turned into its
 * message as the relay does it (encodeEvent: the catalogue check, the JSON body, the attributes),
 * then handed to the client.
 */
async function publishLoop(): Promise<Run> {
  // On this shared machine a request can miss the client's deadline; such a run is run again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await publishLoopOnce();
    } catch (error) {
      if (attempt === 3) throw error;
      console.warn(`publish loop failed (${String(error)}); running it again`);
    }
  }
}

async function publishLoopOnce(): Promise<Run> {
  const topic = pubsub.topic(topicName, TOPIC_OPTIONS);
  const ids = events.map(() => randomUUID());
  return timed(async () => {
    const sequences = new Map<string, number>();
    const time = new Date();
    await Promise.all(
      events.map((event, i) => {
        const sequence = (sequences.get(event.subject) ?? 0) + 1;
        sequences.set(event.subject, sequence);
        const message = encodeEvent({
          id: ids[i] ?? '',
          source: '//rims/bench',
          type: event.type,
          subject: event.subject,
          time,
          sequence,
          data: event.data,
        });
        return topic.publishMessage(message);
      }),
    );
  }, thisProcessCpu);
}

/** Baseline 2: the relay's fetch and mark queries in a bare loop, publishing nothing. */
async function claimAndMarkLoop(): Promise<Run> {
  const fetch = renderSql(readSql('postgres/relay/fetch-pending.sql'), { schema: 'rims_outbox' }, 'postgres');
  const mark = renderSql(readSql('postgres/relay/mark-published.sql'), { schema: 'rims_outbox' }, 'postgres');
  const partitions = Array.from({ length: 64 }, (_, i) => i);
  let done = 0;
  const run = await timed(async () => {
    for (;;) {
      const rows = (
        await pool.query<{ position: string }>(fetch, [partitions, [], '9223372036854775807', 1000, '{}'])
      ).rows;
      if (rows.length === 0) break;
      // Encoded as the relay encodes them (packages/relay/src/queries/position-list.ts).
      await pool.query(mark, [`{${rows.map((row) => row.position).join(',')}}`]);
      done += rows.length;
    }
  }, thisProcessCpu);
  if (done !== EVENTS)
    throw new Error(`claim-and-mark loop saw ${String(done)} events, not ${String(EVENTS)}`);
  return run;
}

/** Statements by SQL file so far, from a registry's `rims_relay_db_statements_total`. */
async function statementCounts(registry: Relay['metrics']): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetric(STATEMENTS)?.get();
  return new Map((metric?.values ?? []).map(({ labels, value }) => [String(labels.statement), value]));
}

function per1000(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, count] of after) {
    const n = count - (before.get(name) ?? 0);
    if (n > 0) result[name] = Math.round((n * 10_000) / EVENTS) / 10;
  }
  return result;
}

async function anyPending(): Promise<boolean> {
  const { rows } = await sql<{ pending: boolean }>`
    SELECT EXISTS (SELECT 1 FROM rims_outbox.events WHERE published_at IS NULL AND dead_at IS NULL) AS pending`.execute(
    db,
  );
  return rows[0]?.pending !== false;
}

async function pendingCount(): Promise<number> {
  const pending = await sql<{ n: string }>`
    SELECT count(*) AS n FROM rims_outbox.events WHERE published_at IS NULL`.execute(db);
  return Number(pending.rows[0]?.n);
}

/**
 * One relay in this process draining the backlog until every event is recorded as published, timed
 * from the moment `start()` resolves (it publishes nothing before: it connects, registers and takes
 * its leases, which a long-running relay does once).
 */
async function relayRun(): Promise<Run> {
  let published = 0;
  const relay = createRelay({
    databaseUrl: url,
    pubsub,
    topic: topicName,
    logger: pino({ level: 'warn' }),
    heartbeatEventIntervalMs: 0,
    onPublished: (events) => (published += events.length),
  });
  await relay.start();
  const statementsBefore = await statementCounts(relay.metrics);
  const run = await timed(async () => {
    // Counted from the relay's own reports first, so that the check does not load PostgreSQL while
    // the relay runs; then the database confirms every event is recorded as published.
    await waitFor(() => published >= EVENTS, {
      timeoutMs: 300_000,
      intervalMs: 1,
      description: 'Pub/Sub to accept every event',
    });
    await waitFor(async () => (await pendingCount()) === 0, {
      timeoutMs: 60_000,
      intervalMs: 2,
      description: 'the relay to record every event as published',
    });
  }, thisProcessCpu);
  run.statementsPer1000 = per1000(statementsBefore, await statementCounts(relay.metrics));
  await relay.stop({ timeout: 10_000 });
  return run;
}

/** Sum over replicas of a metric's series whose name starts with `prefix`, by the rest of the name. */
async function replicaCounts(
  replicas: readonly RelayReplica[],
  prefix: string,
): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const replica of replicas) {
    for (const [name, value] of await replica.metrics()) {
      if (name.startsWith(prefix)) sums.set(name, (sums.get(name) ?? 0) + value);
    }
  }
  return sums;
}

/**
 * Two replicas of the binary, started on an empty outbox and left to share the leases; then the
 * backlog is committed in one transaction (its NOTIFY wakes them) and timed until both together
 * report every event accepted and the database has every one recorded.
 */
async function twoReplicasRun(): Promise<Run> {
  await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
  const settings = { RELAY_HEARTBEAT_EVENT_INTERVAL: '0' };
  const replicas: RelayReplica[] = [];
  try {
    for (let i = 0; i < 2; i++) replicas.push(await startRelayReplica(env.relayEnv, settings));
    await waitFor(
      async () => {
        const held = await Promise.all(
          replicas.map(async (r) => (await r.metrics()).get('rims_relay_leases_held') ?? 0),
        );
        return held.every((n) => n >= 30) && held.reduce((a, b) => a + b, 0) === 64;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'two replicas to share the 64 leases' },
    );
    const replicasCpu = () => replicas.reduce((sum, r) => sum + processCpuMicros(r.pid), 0);
    const drain = async () => {
      // The enqueue is not timed: `timed` starts after the commit.
      await db.transaction().execute(async (trx) => {
        for (let start = 0; start < EVENTS; start += 1_000)
          await outbox.enqueue(trx, events.slice(start, start + 1_000));
      });
      // Watched through the database, with a query that stops at the first pending row: scraping
      // /metrics this often would cost the replicas more CPU than some of their own work.
      return timed(async () => {
        await waitFor(async () => !(await anyPending()), {
          timeoutMs: 300_000,
          intervalMs: 10,
          description: 'two replicas to publish and record every event',
        });
      }, replicasCpu);
    };
    // Fresh processes run cold code (the relay in this process is warm from its warm-ups): untimed
    // drains first, as a long-running replica would have done long before.
    for (let i = 0; i < WARM_UPS; i++) await drain();
    const statementsBefore = await replicaCounts(replicas, STATEMENTS);
    const run = await drain();
    const after = await replicaCounts(replicas, STATEMENTS);
    const rename = (m: Map<string, number>) =>
      new Map([...m].map(([k, v]) => [/statement="([^"]+)"/.exec(k)?.[1] ?? k, v]));
    run.statementsPer1000 = per1000(rename(statementsBefore), rename(after));
    return run;
  } finally {
    await Promise.all(replicas.map((r) => r.process.stop()));
  }
}

/** 1 / (1 / publish loop + 1 / claim-and-mark loop): the relay's rate if it overlapped nothing. */
const serialBound = (publish: Run, claim: Run) =>
  1 / (1 / publish.eventsPerSecond + 1 / claim.eventsPerSecond);

try {
  const rounds: { publish: Run; claim: Run; relay: Run; two: Run }[] = [];
  // Warm-ups of each (see WARM_UPS), not counted; the replicas warm up in each round (see
  // twoReplicasRun).
  for (let i = 0; i < WARM_UPS; i++) {
    await publishLoop();
    await enqueueAll();
    await claimAndMarkLoop();
    await enqueueAll();
    await relayRun();
  }
  for (let round = 0; round < ROUNDS; round++) {
    const publish = await publishLoop();
    await enqueueAll();
    const claim = await claimAndMarkLoop();
    await enqueueAll();
    const relay = await relayRun();
    const two = await twoReplicasRun();
    rounds.push({ publish, claim, relay, two });
    const bound = serialBound(publish, claim);
    console.log(
      `round ${String(round + 1)}: publish loop ${publish.eventsPerSecond.toFixed(0)}/s, claim-and-mark ${claim.eventsPerSecond.toFixed(0)}/s, serial bound ${bound.toFixed(0)}/s; relay ${relay.eventsPerSecond.toFixed(0)}/s (${ratio(relay.eventsPerSecond, bound).toFixed(2)} of the bound), 2 replicas ${two.eventsPerSecond.toFixed(0)}/s (${ratio(two.eventsPerSecond, bound).toFixed(2)}); CPU µs/event: publish loop ${publish.cpuMicrosPerEvent.toFixed(0)}, claim-and-mark ${claim.cpuMicrosPerEvent.toFixed(0)} (+ database ${claim.databaseCpuMicrosPerEvent.toFixed(0)}), relay ${relay.cpuMicrosPerEvent.toFixed(0)} (+ database ${relay.databaseCpuMicrosPerEvent.toFixed(0)}), 2 replicas ${two.cpuMicrosPerEvent.toFixed(0)} (+ database ${two.databaseCpuMicrosPerEvent.toFixed(0)})`,
    );
  }
  const of = (pick: (r: (typeof rounds)[number]) => number): Spread => spread(rounds.map(pick));
  const runFigures = (pick: (r: (typeof rounds)[number]) => Run) => ({
    events_per_second: of((r) => pick(r).eventsPerSecond),
    cpu_us_per_event: of((r) => pick(r).cpuMicrosPerEvent),
    database_cpu_us_per_event: of((r) => pick(r).databaseCpuMicrosPerEvent),
  });
  const efficiency = of((r) => r.relay.eventsPerSecond / serialBound(r.publish, r.claim));
  const efficiencyTwo = of((r) => r.two.eventsPerSecond / serialBound(r.publish, r.claim));
  writeResults('relay-throughput', {
    events: EVENTS,
    subjects: SUBJECTS,
    rounds: ROUNDS,
    warm_ups: WARM_UPS,
    postgres: env.origins.postgres,
    pubsub: env.origins.pubsub,
    // Each figure is { median, min, max } over the rounds.
    publish_loop: runFigures((r) => r.publish),
    claim_and_mark_loop: runFigures((r) => r.claim),
    serial_bound_events_per_second: of((r) => serialBound(r.publish, r.claim)),
    relay: {
      ...runFigures((r) => r.relay),
      statements_per_1000_events: rounds.at(-1)?.relay.statementsPer1000 ?? {},
      vs_serial_bound: efficiency,
    },
    relay_2_replicas: {
      ...runFigures((r) => r.two),
      statements_per_1000_events: rounds.at(-1)?.two.statementsPer1000 ?? {},
      vs_serial_bound: efficiencyTwo,
    },
    ratios: {
      relay_vs_serial_bound: efficiency.median,
      relay_2_replicas_vs_serial_bound: efficiencyTwo.median,
      relay_vs_publish_loop: ratio(
        percentile(
          rounds.map((r) => r.relay.eventsPerSecond),
          50,
        ),
        percentile(
          rounds.map((r) => r.publish.eventsPerSecond),
          50,
        ),
      ),
    },
    targets: { relay_vs_serial_bound: 0.85 },
  });
} finally {
  await env.close();
}
