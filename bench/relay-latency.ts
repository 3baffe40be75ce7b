/**
 * bench/relay-latency: commit-to-publish latency at a fixed offered load, for each way the relay can
 * learn of a commit, measured in the same run.
 *
 * A producer process (bench/relay-latency-producer.ts) commits one event per transaction at a steady
 * rate (default 500 events/s over 200 subjects) while a relay in this process publishes them.
 * Latency is from the moment COMMIT returns to the producer to the moment Pub/Sub acknowledges the
 * publish to the relay (`onPublished`), both on the wall clock at sub-millisecond resolution. A LISTEN
 * connection counts the commit notifications (NOTIFY) writers sent. Modes:
 * - notify: the defaults. Writers NOTIFY only while the relay waits (relay_waiting); the relay lingers
 *   (looks again after 5 ms) while active and marks itself waiting after 50 ms without work;
 * - notify_eager: RELAY_IDLE_AFTER=0ms: the relay never lingers and stays marked waiting, so writers
 *   NOTIFY on every commit, as before adaptive wake-ups;
 * - quiet_adaptive: writers never NOTIFY (`notify: false`); default relay (lingering only);
 * - poll: writers never NOTIFY and the relay does not linger: polling at its default interval (1 s);
 * - poll_100ms: the same with a 100 ms poll, for context;
 * - sparse_notify, sparse_quiet_adaptive: notify and quiet_adaptive at a sparse load (default 10
 *   events/s, gaps longer than the idle threshold), where only a NOTIFY wakes a waiting relay.
 *
 * Modes run one after the other in `--rounds` rounds (default 2), so drift on this shared machine
 * (the emulator warming up, a neighbour's load) spreads over all of them; samples are pooled per mode.
 *
 * Usage: pnpm bench:relay-latency [--rate 500] [--seconds 5] [--sparse-rate 10] [--sparse-seconds 10] [--rounds 2]
 * Writes bench/results/relay-latency.json.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { outboxWakeChannel } from '@rims/outbox';
import { RELAY_DEFAULTS, createRelay } from '@rims/relay';
import { waitFor } from '@rims/test-harness';
import type { ProducerMessage } from './relay-latency-producer.js';
import { relayBenchEnvironment } from './relay-environment.js';
import { percentile, ratio, writeResults } from './results.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '5' },
    'sparse-rate': { type: 'string', default: '10' },
    'sparse-seconds': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SPARSE_RATE = Number(values['sparse-rate']);
const SPARSE_SECONDS = Number(values['sparse-seconds']);
const SUBJECTS = 200;

const env = await relayBenchEnvironment('bench_relay_latency');
const { url, pubsub, topicName } = env;

interface ModeResult {
  events: number;
  achieved_offered_per_second: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  notifications_per_commit: number;
}

/** How writers and the relay behave in one mode. */
interface Mode {
  /** Writers NOTIFY (while a relay waits). */
  readonly notify: boolean;
  readonly pollIntervalMs: number;
  /** RELAY_IDLE_AFTER; 0 marks the relay waiting at the first empty fetch, without lingering. */
  readonly idleAfterMs: number;
  readonly rate: number;
  readonly seconds: number;
}

const MODES = {
  notify: { notify: true, pollIntervalMs: 1_000, idleAfterMs: 50, rate: RATE, seconds: SECONDS },
  notify_eager: { notify: true, pollIntervalMs: 1_000, idleAfterMs: 0, rate: RATE, seconds: SECONDS },
  quiet_adaptive: { notify: false, pollIntervalMs: 1_000, idleAfterMs: 50, rate: RATE, seconds: SECONDS },
  poll: { notify: false, pollIntervalMs: 1_000, idleAfterMs: 0, rate: RATE, seconds: SECONDS },
  poll_100ms: { notify: false, pollIntervalMs: 100, idleAfterMs: 0, rate: RATE, seconds: SECONDS },
  sparse_notify: {
    notify: true,
    pollIntervalMs: 1_000,
    idleAfterMs: 50,
    rate: SPARSE_RATE,
    seconds: SPARSE_SECONDS,
  },
  sparse_quiet_adaptive: {
    notify: false,
    pollIntervalMs: 1_000,
    idleAfterMs: 50,
    rate: SPARSE_RATE,
    seconds: SPARSE_SECONDS,
  },
} satisfies Record<string, Mode>;
type ModeName = keyof typeof MODES;

const PRODUCER = fileURLToPath(new URL('./relay-latency-producer.ts', import.meta.url));

const listener = new pg.Client({ connectionString: url });
await listener.connect();
let notifications = 0;
listener.on('notification', () => {
  notifications += 1;
});
await listener.query(`LISTEN ${pg.escapeIdentifier(outboxWakeChannel('rims_outbox'))}`);

/** One run of a mode: each event's latency, the offered rate and the notifications sent. */
interface Run {
  latencies: number[];
  offeredPerSecond: number;
  notifications: number;
}

async function measure(name: ModeName, seconds?: number): Promise<Run> {
  const mode: Mode = MODES[name];
  const committedAt = new Map<string, number>();
  const publishedAt = new Map<string, number>();
  const relay = createRelay({
    databaseUrl: url,
    pubsub,
    topic: topicName,
    logger: pino({ level: 'warn' }),
    pollIntervalMs: mode.pollIntervalMs,
    idleAfterMs: mode.idleAfterMs,
    onPublished: (events) => {
      const now = performance.timeOrigin + performance.now();
      for (const event of events) publishedAt.set(event.id, now);
    },
  });
  await relay.start();
  const notificationsBefore = notifications;

  // The producer runs in its own process, so its schedule does not wait on the relay's work.
  const producer = fork(
    PRODUCER,
    [url, String(mode.rate), String(seconds ?? mode.seconds), mode.notify ? 'notify' : 'quiet'],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  const offered = await new Promise<number>((resolve, reject) => {
    producer.on('message', (message: ProducerMessage) => {
      if (message.kind === 'committed') for (const [id, at] of message.events) committedAt.set(id, at);
      else resolve(message.offeredPerSecond);
    });
    producer.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the producer exited with code ${String(code)}`));
    });
  });
  await waitFor(() => [...committedAt.keys()].every((id) => publishedAt.has(id)), {
    timeoutMs: 60_000,
    intervalMs: 20,
    description: `every ${name} event to be published`,
  });
  const notified = notifications - notificationsBefore;
  await relay.stop({ timeout: 10_000 });

  // An event acknowledged before its producer saw COMMIT return counts as 0 ms.
  const latencies = [...committedAt].map(([id, at]) => Math.max(0, (publishedAt.get(id) ?? at) - at));
  console.log(
    name,
    `p50 ${String(percentile(latencies, 50))} ms, p99 ${String(percentile(latencies, 99))} ms`,
  );
  return { latencies, offeredPerSecond: offered, notifications: notified };
}

function summarise(runs: readonly Run[]): ModeResult {
  const latencies = runs.flatMap((run) => run.latencies);
  const notified = runs.reduce((sum, run) => sum + run.notifications, 0);
  return {
    events: latencies.length,
    achieved_offered_per_second: Math.round(
      runs.reduce((sum, run) => sum + run.offeredPerSecond, 0) / runs.length,
    ),
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: percentile(latencies, 100),
    notifications_per_commit: ratio(notified, latencies.length),
  };
}

try {
  // Warm-up (JIT here and in the emulator, connections, the topic), not counted.
  await measure('notify', 10);
  const names = Object.keys(MODES) as ModeName[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as Run[]])) as Record<ModeName, Run[]>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) runs[name].push(await measure(name));
  }
  const latency = Object.fromEntries(names.map((name) => [name, summarise(runs[name])])) as Record<
    ModeName,
    ModeResult
  >;
  writeResults('relay-latency', {
    target_offered_per_second: RATE,
    rounds: ROUNDS,
    seconds_per_round: SECONDS,
    sparse_offered_per_second: SPARSE_RATE,
    sparse_seconds_per_round: SPARSE_SECONDS,
    subjects: SUBJECTS,
    postgres: env.origins.postgres,
    pubsub: env.origins.pubsub,
    relay_defaults: {
      poll_interval_ms: RELAY_DEFAULTS.pollIntervalMs,
      linger_ms: RELAY_DEFAULTS.lingerMs,
      idle_after_ms: RELAY_DEFAULTS.idleAfterMs,
    },
    modes: MODES,
    latency,
    ratios: {
      notify_p50_vs_poll_p50: ratio(latency.notify.p50_ms, latency.poll.p50_ms),
      notify_p99_vs_poll_p99: ratio(latency.notify.p99_ms, latency.poll.p99_ms),
      notify_p50_vs_notify_eager_p50: ratio(latency.notify.p50_ms, latency.notify_eager.p50_ms),
      notify_p50_vs_poll_100ms_p50: ratio(latency.notify.p50_ms, latency.poll_100ms.p50_ms),
      sparse_notify_p50_vs_sparse_quiet_adaptive_p50: ratio(
        latency.sparse_notify.p50_ms,
        latency.sparse_quiet_adaptive.p50_ms,
      ),
    },
    targets: { notify_p50_ms: 15 },
  });
} finally {
  await listener.end().catch(() => undefined);
  await env.close();
}
