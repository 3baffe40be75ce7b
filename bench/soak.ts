/**
 * bench/soak: the relay left running under steady traffic, to see what grows. A throw-away
 * PostgreSQL of its own with autovacuum on (the shared development server runs with autovacuum
 * off, where the outbox grows without end), 2 replicas of the relay binary with retention of
 * 1 minute (run every 10 s), and writers committing events at a steady rate over 2,000 items, one
 * per transaction unless told otherwise, each with `outbox.transaction` (the events travel with
 * COMMIT, the documented fastest way). Every 10 s it samples the backlog, the outbox table and
 * index sizes, live and dead tuples, HOT updates, autovacuum runs, and each replica's RSS and
 * event-loop delay (p99 since the last sample, from its /metrics); then it reports the growth from
 * minute 2 on, three ways: to the last sample, to the largest sample (the peak), and as the trend
 * (the median of the last 2 minutes over the median of the first 2 from minute 2).
 * Targets: table size and RSS flat within 20 %, backlog never above 2 s of traffic. The table is
 * judged by its peak: it grows in steps and shrinks only when vacuum truncates its empty tail, so
 * the last sample can land just after a truncation and hide growth the run had. RSS is judged by
 * its trend: a sample can catch a replica's heap just before a collection.
 *
 * The measured minutes follow a warm-up at the same rate (SOAK_WARMUP_SECONDS, default 30): the
 * emulator's JVM and the fresh replicas compile their hot paths there, which on this 2-core
 * machine held a few seconds of traffic back at the start of a run (not always enough: see
 * README). The warm-up is sampled too, and its largest backlog is reported apart (`warmup`).
 *
 * Not part of `pnpm bench` (it takes 10 minutes): run `pnpm bench:soak`. Settings by environment:
 * SOAK_MINUTES (default 10), SOAK_RATE (events/s, default 2000), SOAK_SAMPLE_SECONDS (default 10),
 * SOAK_WARMUP_SECONDS (default 30), SOAK_EVENTS_PER_TRANSACTION (default 1: where the writers
 * cannot commit SOAK_RATE transactions a second beside the replicas and the emulator, more events
 * per transaction offer the same events/s to the relay with fewer commits; each event is on an
 * item of its own), SOAK_AUTOVACUUM_NAPTIME (the server's autovacuum_naptime, as `10s`; default:
 * PostgreSQL's 1 min). Writes bench/results/soak.json.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createOutbox } from '@rims/outbox';
import { startThrowawayPostgres } from '@rims/test-harness';
import { committedEvent } from './committed-event.js';
import { relayBenchEnvironment } from './relay-environment.js';
import { startRelayReplica, type RelayReplica } from './relay-process.js';
import { ratio, spread, writeResults } from './results.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? '10');
const RATE = Number(process.env.SOAK_RATE ?? '2000');
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? '10');
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? '30');
const EVENTS_PER_TRANSACTION = Number(process.env.SOAK_EVENTS_PER_TRANSACTION ?? '1');
if (!Number.isInteger(EVENTS_PER_TRANSACTION) || EVENTS_PER_TRANSACTION < 1) {
  throw new Error(
    `SOAK_EVENTS_PER_TRANSACTION is '${String(process.env.SOAK_EVENTS_PER_TRANSACTION)}': it takes a whole number of 1 or more`,
  );
}
const NAPTIME = process.env.SOAK_AUTOVACUUM_NAPTIME;
const naptimeParts = NAPTIME === undefined ? undefined : /^(\d+)(s|min)$/.exec(NAPTIME);
if (NAPTIME !== undefined && !naptimeParts) {
  throw new Error(
    `SOAK_AUTOVACUUM_NAPTIME is '${NAPTIME}': it takes a duration PostgreSQL reads, such as 10s or 1min`,
  );
}
/** The naptime asked for, in seconds (pg_settings' unit for it). */
const naptimeSeconds = naptimeParts
  ? Number(naptimeParts[1]) * (naptimeParts[2] === 'min' ? 60 : 1)
  : undefined;
const SUBJECTS = 2_000;
const WRITERS = 8;
const TICK_MS = 10;
/** From this minute on the run is in its steady state: growth is measured from here. */
const STEADY_FROM_MINUTE = Math.min(2, MINUTES / 2);
const RELAY_SETTINGS = { RELAY_RETENTION: '1m', RELAY_RETENTION_INTERVAL: '10s' };

const server = await startThrowawayPostgres();
const env = await relayBenchEnvironment('bench_soak', {
  url: server.url,
  origin: `throw-away (${server.origin}, autovacuum on)`,
  stop: () => server.destroy(),
});
const { db, pool } = env;
const outbox = createOutbox({ source: '//rims/bench-soak' });
// The writers' own connections, so the samples never queue behind their transactions.
const writers = new Kysely<unknown>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env.url, max: WRITERS }) }),
});

interface Sample {
  /** Seconds since the measured minutes began (negative in the warm-up). */
  second: number;
  /** Events committed so far. */
  committed: number;
  /** Due and not yet started: the writers are behind schedule by this many events. */
  queued: number;
  published: number;
  backlog: number;
  table_mb: number;
  indexes_mb: number;
  live_tuples: number;
  dead_tuples: number;
  hot_update_share: number;
  autovacuum_runs: number;
  rss_mb: number[];
  event_loop_p99_ms: number[];
}

const replicas: RelayReplica[] = [];
let committed = 0;
let failedCommits = 0;
let stopWriting = false;
let queuedNow = () => 0;

/**
 * Commits events on a steady schedule: `WRITERS` workers, each taking the next
 * `EVENTS_PER_TRANSACTION` due events and committing them with `outbox.transaction`. When the
 * database cannot keep up they commit back to back (the achieved rate is reported, and `queued`
 * counts the events due and not yet started), without piling up transactions in memory.
 */
async function write(): Promise<void> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (!stopWriting) {
      // The transaction is due when its last event is.
      const dueAt = started + ((next + EVENTS_PER_TRANSACTION - 1) * 1000) / RATE;
      const wait = dueAt - performance.now();
      if (wait > 0) {
        await sleep(Math.min(wait, TICK_MS));
        continue;
      }
      const subjects = Array.from(
        { length: EVENTS_PER_TRANSACTION },
        () => `item-${String(next++ % SUBJECTS)}`,
      );
      try {
        await outbox.transaction(writers, (_trx, events) => {
          for (const subject of subjects) events.add(committedEvent(subject));
          return Promise.resolve();
        });
        committed += subjects.length;
      } catch {
        failedCommits += 1;
      }
    }
  };
  queuedNow = () => Math.max(0, Math.floor(((performance.now() - started) * RATE) / 1000) - next);
  await Promise.all(Array.from({ length: WRITERS }, worker));
  await writers.destroy();
}

async function sample(second: number): Promise<Sample> {
  const { rows } = await sql<{
    backlog: string;
    table_bytes: string;
    index_bytes: string;
    live: string;
    dead: string;
    updates: string;
    hot: string;
    autovacuums: string;
  }>`
    SELECT (SELECT count(*) FROM rims_outbox.events WHERE published_at IS NULL AND dead_at IS NULL) AS backlog,
           pg_table_size('rims_outbox.events') AS table_bytes,
           pg_indexes_size('rims_outbox.events') AS index_bytes,
           s.n_live_tup AS live, s.n_dead_tup AS dead, s.n_tup_upd AS updates, s.n_tup_hot_upd AS hot,
           s.autovacuum_count AS autovacuums
    FROM pg_stat_user_tables s
    WHERE s.relid = 'rims_outbox.events'::regclass`.execute(db);
  const row = rows[0];
  const metrics = await Promise.all(replicas.map((replica) => replica.metrics()));
  const mb = (bytes: number) => Math.round(bytes / 10_485.76) / 100;
  return {
    second,
    committed,
    queued: queuedNow(),
    published: metrics.reduce((sum, m) => sum + (m.get('rims_relay_events_published_total') ?? 0), 0),
    backlog: Number(row?.backlog),
    table_mb: mb(Number(row?.table_bytes)),
    indexes_mb: mb(Number(row?.index_bytes)),
    live_tuples: Number(row?.live),
    dead_tuples: Number(row?.dead),
    hot_update_share: ratio(Number(row?.hot), Math.max(1, Number(row?.updates))),
    autovacuum_runs: Number(row?.autovacuums),
    rss_mb: metrics.map((m) => mb(m.get('process_resident_memory_bytes') ?? Number.NaN)),
    event_loop_p99_ms: metrics.map(
      (m) => Math.round((m.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 10_000) / 10,
    ),
  };
}

console.log(
  `soak: ${String(MINUTES)} min at ${String(RATE)} events/s (${String(EVENTS_PER_TRANSACTION)} per transaction), 2 replicas, ${JSON.stringify(RELAY_SETTINGS)}`,
);
try {
  const [settings] = (
    await pool.query<{ autovacuum: string }>("SELECT current_setting('autovacuum') AS autovacuum")
  ).rows;
  if (settings?.autovacuum !== 'on') throw new Error('the throw-away PostgreSQL runs without autovacuum');
  const naptimeNow = async () =>
    Number(
      (
        await pool.query<{ setting: string }>(
          "SELECT setting FROM pg_settings WHERE name = 'autovacuum_naptime'",
        )
      ).rows[0]?.setting,
    );
  if (naptimeSeconds !== undefined) {
    // A server setting (no table can have its own), read again on reload. The reload reaches the
    // server's processes a moment later: wait until a session sees it.
    await pool.query(`ALTER SYSTEM SET autovacuum_naptime = '${String(naptimeSeconds)}s'`);
    await pool.query('SELECT pg_reload_conf()');
    const until = performance.now() + 10_000;
    while ((await naptimeNow()) !== naptimeSeconds) {
      if (performance.now() > until) throw new Error(`autovacuum_naptime did not become ${String(NAPTIME)}`);
      await sleep(100);
    }
  }
  const naptime = `${String(await naptimeNow())}s`;
  console.log(`autovacuum_naptime ${naptime}`);
  for (let i = 0; i < 2; i++) replicas.push(await startRelayReplica(env.relayEnv, RELAY_SETTINGS));
  const writing = write();
  const samples: Sample[] = [];
  // Second 0 ends the warm-up: the measured minutes run from there.
  const measuredFrom = performance.now() + WARMUP_SECONDS * 1000;
  for (let second = SAMPLE_SECONDS - WARMUP_SECONDS; second <= MINUTES * 60; second += SAMPLE_SECONDS) {
    await sleep(Math.max(0, measuredFrom + second * 1000 - performance.now()));
    const s = await sample(second);
    samples.push(s);
    console.log(
      `${String(second)} s${second <= 0 ? ' (warm-up)' : ''}: committed ${String(s.committed)}, queued ${String(s.queued)}, backlog ${String(s.backlog)}, table ${String(s.table_mb)} MB, indexes ${String(s.indexes_mb)} MB, live ${String(s.live_tuples)}, dead ${String(s.dead_tuples)}, HOT ${String(s.hot_update_share)}, autovacuums ${String(s.autovacuum_runs)}, RSS ${s.rss_mb.join('/')} MB, event loop p99 ${s.event_loop_p99_ms.join('/')} ms`,
    );
  }
  stopWriting = true;
  await writing;
  const warmup = samples.filter((s) => s.second <= 0);
  const measured = samples.filter((s) => s.second > 0);
  const steady = measured.filter((s) => s.second >= STEADY_FROM_MINUTE * 60);
  const first = steady[0];
  const last = steady.at(-1);
  if (!first || !last) throw new Error('too short a soak to measure growth: set SOAK_MINUTES of 1 or more');
  const growth = (pick: (s: Sample) => number) => ratio(pick(last), pick(first));
  const peakGrowth = (pick: (s: Sample) => number) => ratio(Math.max(...steady.map(pick)), pick(first));
  const trendWindow = Math.max(1, Math.floor(120 / SAMPLE_SECONDS));
  const trendGrowth = (pick: (s: Sample) => number) =>
    ratio(
      spread(steady.slice(-trendWindow).map(pick)).median,
      spread(steady.slice(0, trendWindow).map(pick)).median,
    );
  const growthBy = (measure: (pick: (s: Sample) => number) => number) => ({
    table: measure((s) => s.table_mb),
    indexes: measure((s) => s.indexes_mb),
    table_plus_indexes: measure((s) => s.table_mb + s.indexes_mb),
    ...Object.fromEntries(
      replicas.map((_, i) => [`rss_replica_${String(i + 1)}`, measure((s) => s.rss_mb[i] ?? 0)]),
    ),
  });
  const rssTrendMax = Math.max(...replicas.map((_, i) => trendGrowth((s) => s.rss_mb[i] ?? 0)));
  // Events committed per second over the measured minutes only, from the samples at their two ends.
  const atStart = warmup.at(-1) ?? { second: 0, committed: 0 };
  const achieved = (last.committed - atStart.committed) / (last.second - atStart.second);
  const maxBacklog = Math.max(...measured.map((s) => s.backlog));
  const maxWarmupBacklog = Math.max(0, ...warmup.map((s) => s.backlog));
  writeResults('soak', {
    minutes: MINUTES,
    offered_per_second: RATE,
    writes_with: `outbox.transaction, ${String(EVENTS_PER_TRANSACTION)} event(s) per transaction`,
    events_per_transaction: EVENTS_PER_TRANSACTION,
    warmup: {
      seconds: WARMUP_SECONDS,
      max_backlog_events: maxWarmupBacklog,
      max_backlog_seconds_of_traffic: Math.round((maxWarmupBacklog / RATE) * 100) / 100,
    },
    achieved_events_per_second: Math.round(achieved),
    achieved_commits_per_second: Math.round(achieved / EVENTS_PER_TRANSACTION),
    failed_commits: failedCommits,
    subjects: SUBJECTS,
    replicas: replicas.length,
    relay_settings: RELAY_SETTINGS,
    postgres: env.origins.postgres,
    autovacuum_naptime: naptime,
    pubsub: env.origins.pubsub,
    steady_from_minute: STEADY_FROM_MINUTE,
    growth_from_steady_start_to_end: growthBy(growth),
    growth_from_steady_start_to_peak: growthBy(peakGrowth),
    growth_trend_last_2_min_over_first_2_min: growthBy(trendGrowth),
    steady_state: {
      backlog_events: spread(steady.map((s) => s.backlog)),
      table_mb: spread(steady.map((s) => s.table_mb)),
      indexes_mb: spread(steady.map((s) => s.indexes_mb)),
      dead_tuples: spread(steady.map((s) => s.dead_tuples)),
      event_loop_p99_ms: spread(steady.flatMap((s) => s.event_loop_p99_ms)),
      rss_mb: spread(steady.flatMap((s) => s.rss_mb)),
    },
    max_backlog_events: maxBacklog,
    max_backlog_seconds_of_traffic: Math.round((maxBacklog / achieved) * 100) / 100,
    // Keyed by time (not an array), so each sample reads as one object.
    samples: Object.fromEntries(
      samples.map((s) => [`t_${s.second < 0 ? '-' : ''}${String(Math.abs(s.second)).padStart(4, '0')}s`, s]),
    ),
    ratios: {
      table_growth_to_peak: peakGrowth((s) => s.table_mb),
      rss_growth_trend_max: rssTrendMax,
      max_backlog_seconds_of_traffic: Math.round((maxBacklog / achieved) * 100) / 100,
    },
    targets: { table_growth_to_peak: 1.2, rss_growth_trend_max: 1.2, max_backlog_seconds_of_traffic: 2 },
  });
} finally {
  stopWriting = true;
  await Promise.all(replicas.map((replica) => replica.process.stop()));
  await env.close();
}
