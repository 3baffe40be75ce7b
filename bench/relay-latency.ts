/**
 * bench/relay-latency: commit-to-publish latency at fixed offered loads, round after round, beside a
 * publish-only baseline at the same rate measured in the same rounds, so the relay's own share shows.
 *
 * A producer process (bench/relay-latency-producer.ts) commits one event per transaction at a steady
 * rate over 200 subjects while a relay in this process publishes them. Latency is from the moment
 * COMMIT returns to the producer to the moment Pub/Sub acknowledges the publish to the relay
 * (`onPublished`), both on the wall clock at sub-millisecond resolution. The baseline publishes the
 * same kind of messages at the same rate from this process with the relay's client settings, no
 * database, and measures each one from `publishMessage` to the acknowledgement: what the emulator
 * and the client take. Each relay round also splits every event's latency at the moment the relay
 * hands it to the client (`publishMessage`, recorded by a wrapper around the relay's topic, keyed
 * by the `ce-id` attribute): commit to hand-over is the relay's own part (finding the commit by
 * linger, poll or NOTIFY, fetching it, building the message); hand-over to acknowledgement is the
 * client's and the emulator's, as in the baseline.
 *
 * Modes, at each rate of `--rates` (default 500 and 5,000 events/s):
 * - relay: the defaults (adaptive NOTIFY: writers notify only while the relay waits; the relay
 *   lingers 5 ms while active), the producer committing one event per transaction;
 * - publish_only: the baseline above;
 * - publish_only_loaded: the same baseline while the producer commits at the same rate into the
 *   outbox with no relay running, so PostgreSQL and the producer share the cores as in a relay
 *   round: on these 2 shared cores that load alone moves the emulator's answers (see README).
 * And at each `--grouped` load (default 5000x10: 5,000 events/s in transactions of 10 events, on
 * consecutive subjects), `relay_<rate>_commits_of_<n>` and `publish_only_loaded_<rate>_commits_of_<n>`:
 * on these 2 cores PostgreSQL commits one-event transactions at about 2,000/s at most beside the
 * relay, so the one-event producer never offers 5,000 events/s; in transactions of 10 it does, and
 * the relay's latency at that event rate shows.
 * Every round also reports the CPU this process used per second of the round (`cpu_of_a_core`):
 * the relay's own in relay rounds, the publisher's in the baselines.
 * And once per round at `--sparse-rate` (default 10 events/s, gaps longer than the idle threshold,
 * where only a NOTIFY wakes the waiting relay): sparse_relay, sparse_publish_only.
 * Modes alternate within each round, so drift on this shared machine hits all alike; each round's
 * p50 and p99 are kept, and the results give their median, min and max over `--rounds` (default 5).
 *
 * Usage: pnpm bench:relay-latency [--rates 500,5000] [--grouped 5000x10] [--seconds 5] [--rounds 5]
 *   [--sparse-rate 10] [--sparse-seconds 5]
 * (`--grouped ''`: no grouped load.)
 * Writes bench/results/relay-latency.json.
 */
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PubSub, Topic } from '@google-cloud/pubsub';
import pg from 'pg';
import { pino } from 'pino';
import { outboxWakeChannel } from '@rims/outbox';
import { RELAY_DEFAULTS, createRelay } from '@rims/relay';
import { buildCloudEvent, toPubSubMessage } from '@rims/schemas';
import { waitFor } from '@rims/test-harness';
import type { ProducerMessage } from './relay-latency-producer.js';
import { committedEvent } from './committed-event.js';
import { relayBenchEnvironment } from './relay-environment.js';
import { percentile, ratio, spread, writeResults, type Spread } from './results.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,5000' },
    grouped: { type: 'string', default: '5000x10' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    'sparse-rate': { type: 'string', default: '10' },
    'sparse-seconds': { type: 'string', default: '5' },
  },
});
const RATES = values.rates.split(',').map(Number);
/** A producer's load: events per second, in transactions of `perCommit` events. */
interface Load {
  readonly rate: number;
  readonly perCommit: number;
}
const GROUPED: Load[] = values.grouped
  .split(',')
  .filter((text) => text !== '')
  .map((text) => {
    const [rate, perCommit] = text.split('x').map(Number);
    if (!rate || !perCommit) throw new Error(`--grouped ${text}: expected <events/s>x<events per commit>`);
    return { rate, perCommit };
  });
const LOADS: Load[] = [...RATES.map((rate) => ({ rate, perCommit: 1 })), ...GROUPED];
/** The mode name of `load`: `relay_5000`, `relay_5000_commits_of_10`. */
const loadName = (mode: string, { rate, perCommit }: Load) =>
  `${mode}_${String(rate)}${perCommit === 1 ? '' : `_commits_of_${String(perCommit)}`}`;
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const SPARSE_RATE = Number(values['sparse-rate']);
const SPARSE_SECONDS = Number(values['sparse-seconds']);
const SUBJECTS = 200;
/** The relay's own client settings (packages/relay/src/runtime/boot.ts). */
const TOPIC_OPTIONS = {
  messageOrdering: true,
  batching: { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 1 },
  gaxOpts: { timeout: 4_000 },
};
const TICK_MS = 10;

const env = await relayBenchEnvironment('bench_relay_latency');
const { url, pubsub, topicName } = env;
const PRODUCER = fileURLToPath(new URL('./relay-latency-producer.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

const listener = new pg.Client({ connectionString: url });
await listener.connect();
let notifications = 0;
listener.on('notification', () => {
  notifications += 1;
});
await listener.query(`LISTEN ${pg.escapeIdentifier(outboxWakeChannel('rims_outbox'))}`);

/** One round of one mode. */
interface Round {
  p50: number;
  p99: number;
  max: number;
  offeredPerSecond: number;
  events: number;
  /** CPU this process used over the round, per second of wall time (the relay's, or the publisher's). */
  cpuOfACore?: number;
  /** Relay only: notifications writers sent per commit, and each event's latency split at hand-over. */
  notificationsPerCommit?: number;
  split?: HandOverSplit;
}

/** p50 and p99 of the two parts of the relay's latency, in ms. */
interface HandOverSplit {
  commitToHandOverP50: number;
  commitToHandOverP99: number;
  handOverToAckP50: number;
  handOverToAckP99: number;
}

/** When the relay handed each event to the client, by event id; filled by {@link recordingHandOver}. */
const handedOverAt = new Map<string, number>();

/**
 * `pubsub` as the relay sees it, except that each topic it opens records when every message is
 * handed to the client. Only `topic` is changed; every other member is the client's own. The relay
 * publishes with a callback (packages/relay/src/publishing/pubsub-port.ts), so nothing is returned.
 */
function recordingHandOver(client: PubSub): PubSub {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'topic' || typeof value !== 'function') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (...args: Parameters<PubSub['topic']>) => {
        const topic = target.topic(...args);
        const publishMessage = topic.publishMessage.bind(topic);
        topic.publishMessage = ((...call: Parameters<Topic['publishMessage']>) => {
          const id = call[0].attributes?.['ce-id'];
          if (id !== undefined) handedOverAt.set(id, now());
          publishMessage(...call);
        }) as Topic['publishMessage'];
        return topic;
      };
    },
  });
}

function summary(latencies: number[], offeredPerSecond: number): Round {
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    offeredPerSecond,
    events: latencies.length,
  };
}

/** Starts a CPU reading of this process: the returned function gives CPU seconds per wall second since. */
function cpuShareSince(): () => number {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpuBefore);
    return ratio((cpu.user + cpu.system) / 1000, performance.now() - wallBefore);
  };
}

/** The relay with its defaults, fed by the producer process at `load` for `seconds`. */
async function relayRound({ rate, perCommit }: Load, seconds: number): Promise<Round> {
  const committedAt = new Map<string, number>();
  const publishedAt = new Map<string, number>();
  const relay = createRelay({
    databaseUrl: url,
    pubsub: recordingHandOver(pubsub),
    topic: topicName,
    logger: pino({ level: 'warn' }),
    heartbeatEventIntervalMs: 0,
    onPublished: (events) => {
      const at = now();
      for (const event of events) publishedAt.set(event.id, at);
    },
  });
  await relay.start();
  const cpuShare = cpuShareSince();
  const notificationsBefore = notifications;
  // The producer runs in its own process, so its schedule does not wait on the relay's work.
  const producer = fork(PRODUCER, [url, String(rate), String(seconds), 'notify', String(perCommit)], {
    execArgv: ['--import', 'tsx'],
  });
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
    description: `every event at ${String(rate)}/s to be published`,
  });
  const cpuOfACore = cpuShare();
  const notified = notifications - notificationsBefore;
  await relay.stop({ timeout: 10_000 });
  // An event acknowledged (or handed over) before its producer saw COMMIT return counts as 0 ms.
  const latencies: number[] = [];
  const toHandOver: number[] = [];
  const toAck: number[] = [];
  for (const [id, at] of committedAt) {
    const published = publishedAt.get(id) ?? at;
    const handedOver = Math.min(published, Math.max(at, handedOverAt.get(id) ?? at));
    latencies.push(Math.max(0, published - at));
    toHandOver.push(handedOver - at);
    toAck.push(published - handedOver);
  }
  handedOverAt.clear();
  return {
    ...summary(latencies, offered),
    cpuOfACore,
    notificationsPerCommit: ratio(notified, latencies.length),
    split: {
      commitToHandOverP50: percentile(toHandOver, 50),
      commitToHandOverP99: percentile(toHandOver, 99),
      handOverToAckP50: percentile(toAck, 50),
      handOverToAckP99: percentile(toAck, 99),
    },
  };
}

/** The baseline: the same steady schedule, publishing straight to the emulator, no database. */
async function publishOnlyRound(rate: number, seconds: number): Promise<Round> {
  const topic = pubsub.topic(topicName, TOPIC_OPTIONS);
  const total = Math.round(rate * seconds);
  const sequences = new Map<string, number>();
  const latencies: number[] = [];
  const acks: Promise<void>[] = [];
  let failures = 0;
  const publishOne = (k: number) => {
    const subject = `item-${String(k % SUBJECTS)}`;
    const sequence = (sequences.get(subject) ?? 0) + 1;
    sequences.set(subject, sequence);
    const { type, data } = committedEvent(subject);
    const message = toPubSubMessage(
      buildCloudEvent({
        id: randomUUID(),
        source: '//rims/bench',
        type,
        subject,
        time: new Date(),
        sequence,
        data,
      }),
    );
    const sent = now();
    acks.push(
      topic.publishMessage(message).then(
        () => {
          latencies.push(now() - sent);
        },
        () => {
          // Past the client's deadline on this shared machine: counted, and its key resumed.
          failures += 1;
          topic.resumePublishing(subject);
        },
      ),
    );
  };
  const started = performance.now();
  const cpuShare = cpuShareSince();
  let sent = 0;
  while (sent < total) {
    // As the producer does: event k is due at k / rate seconds; those due while this slept go together.
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    while (sent < due) publishOne(sent++);
    if (sent >= total) break;
    const nextAt = started + (sent * 1000) / rate;
    await sleep(Math.max(0, Math.min(TICK_MS, nextAt - performance.now())));
  }
  const offered = total / ((performance.now() - started) / 1000);
  await Promise.all(acks);
  const cpuOfACore = cpuShare();
  if (failures > 0) console.warn(`publish-only: ${String(failures)} publishes failed (not counted)`);
  return { ...summary(latencies, offered), cpuOfACore };
}

/**
 * The baseline under the relay round's other load: the producer commits at `load` into the outbox
 * (no relay runs, nothing is published from it) while this process publishes as in
 * {@link publishOnlyRound}. What the emulator and the client take when PostgreSQL and the producer
 * share the cores as they do in a relay round; the rows it leaves are deleted after.
 */
async function loadedPublishOnlyRound(load: Load, seconds: number): Promise<Round> {
  const { rate, perCommit } = load;
  const producer = fork(PRODUCER, [url, String(rate), String(seconds), 'quiet', String(perCommit)], {
    execArgv: ['--import', 'tsx'],
  });
  const finished = new Promise<void>((resolve, reject) => {
    producer.on('message', () => undefined);
    producer.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`the producer exited with code ${String(code)}`));
    });
  });
  const round = await publishOnlyRound(rate, seconds);
  await finished;
  await env.pool.query('DELETE FROM rims_outbox.events');
  return round;
}

type ModeName = string;
const rounds = new Map<ModeName, Round[]>();
const record = (name: ModeName, round: Round) => {
  rounds.set(name, [...(rounds.get(name) ?? []), round]);
  const { split } = round;
  const extra =
    split === undefined
      ? ''
      : `; commit to hand-over p50 ${String(split.commitToHandOverP50)} ms, p99 ${String(split.commitToHandOverP99)} ms; hand-over to ack p50 ${String(split.handOverToAckP50)} ms, p99 ${String(split.handOverToAckP99)} ms; ${String(round.notificationsPerCommit)} NOTIFY/commit`;
  console.log(
    `${name}: p50 ${String(round.p50)} ms, p99 ${String(round.p99)} ms, max ${String(round.max)} ms (${round.offeredPerSecond.toFixed(0)}/s offered, ${String(round.cpuOfACore)} of a core here${extra})`,
  );
};

try {
  // Warm-up (JIT here and in the emulator, connections, the topic), not counted.
  await relayRound({ rate: RATES[0] ?? 500, perCommit: 1 }, 5);
  await publishOnlyRound(RATES[0] ?? 500, 3);
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${String(round + 1)}`);
    const baselines = new Set<number>();
    for (const load of LOADS) {
      record(loadName('relay', load), await relayRound(load, SECONDS));
      // The bare baseline depends on the event rate only: once per rate.
      if (!baselines.has(load.rate)) {
        baselines.add(load.rate);
        record(`publish_only_${String(load.rate)}`, await publishOnlyRound(load.rate, SECONDS));
      }
      record(loadName('publish_only_loaded', load), await loadedPublishOnlyRound(load, SECONDS));
    }
    record('sparse_relay', await relayRound({ rate: SPARSE_RATE, perCommit: 1 }, SPARSE_SECONDS));
    record('sparse_publish_only', await publishOnlyRound(SPARSE_RATE, SPARSE_SECONDS));
  }
  const figures = Object.fromEntries(
    [...rounds].map(([name, list]) => {
      const of = (pick: (r: Round) => number | undefined): Spread =>
        spread(list.map((r) => pick(r) ?? Number.NaN));
      return [
        name,
        {
          p50_ms: of((r) => r.p50),
          p99_ms: of((r) => r.p99),
          max_ms: of((r) => r.max),
          offered_per_second: of((r) => r.offeredPerSecond),
          events_per_round: list[0]?.events ?? 0,
          cpu_of_a_core: of((r) => r.cpuOfACore),
          ...(list[0]?.split === undefined
            ? {}
            : {
                commit_to_handover_p50_ms: of((r) => r.split?.commitToHandOverP50),
                commit_to_handover_p99_ms: of((r) => r.split?.commitToHandOverP99),
                handover_to_ack_p50_ms: of((r) => r.split?.handOverToAckP50),
                handover_to_ack_p99_ms: of((r) => r.split?.handOverToAckP99),
                notifications_per_commit: of((r) => r.notificationsPerCommit),
              }),
        },
      ];
    }),
  ) as Record<string, { p50_ms: Spread; p99_ms: Spread }>;
  const ratios: Record<string, number> = {};
  const targets: Record<string, number> = {};
  for (const load of LOADS) {
    const name = loadName('relay', load);
    const relay = figures[name];
    const baseline = figures[`publish_only_${String(load.rate)}`];
    const loaded = figures[loadName('publish_only_loaded', load)];
    if (!relay || !baseline || !loaded) continue;
    ratios[`${name}_p50_ms`] = relay.p50_ms.median;
    ratios[`${name}_p99_ms`] = relay.p99_ms.median;
    ratios[`${name}_p50_vs_publish_only_p50`] = ratio(relay.p50_ms.median, baseline.p50_ms.median);
    ratios[`${name}_p50_vs_loaded_publish_only_p50`] = ratio(relay.p50_ms.median, loaded.p50_ms.median);
    targets[`${name}_p50_ms`] = 10;
    targets[`${name}_p99_ms`] = 50;
  }
  writeResults('relay-latency', {
    rates: RATES,
    grouped: GROUPED.map(({ rate, perCommit }) => ({
      events_per_second: rate,
      events_per_commit: perCommit,
    })),
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
    // Per mode, each figure is { median, min, max } over the rounds of that round's value.
    latency: figures,
    ratios,
    targets,
  });
} finally {
  await listener.end().catch(() => undefined);
  await env.close();
}
