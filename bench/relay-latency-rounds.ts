/**
 * The rounds of bench/relay-latency (see there for what each mode measures): the relay fed by the
 * producer process (bench/relay-latency-producer.ts), and the publish-only baselines, alone and
 * beside the producer. Each round returns its latencies' p50, p99 and max and the CPU this process
 * used; a relay round also splits each event's latency where the relay hands it to the client.
 */
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { PubSub, Topic } from '@google-cloud/pubsub';
import { pino } from 'pino';
import { createRelay } from '@rims/relay';
import { encodeEvent } from '@rims/schemas';
import { waitFor } from '@rims/test-harness';
import type { ProducerMessage } from './relay-latency-producer.js';
import { committedEvent } from './committed-event.js';
import type { RelayBenchEnvironment } from './relay-environment.js';
import { percentile, ratio } from './results.js';

/** Subjects the producer and the baselines spread their events over. */
export const SUBJECTS = 200;
/** The relay's own client settings (packages/relay/src/runtime/boot.ts). */
const TOPIC_OPTIONS = {
  messageOrdering: true,
  batching: { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 1 },
  gaxOpts: { timeout: 4_000 },
};
const TICK_MS = 10;
const PRODUCER = fileURLToPath(new URL('./relay-latency-producer.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

/** A producer's load: events per second, in transactions of `perCommit` events. */
export interface Load {
  readonly rate: number;
  readonly perCommit: number;
}

/** One round of one mode. */
export interface Round {
  p50: number;
  p99: number;
  max: number;
  offeredPerSecond: number;
  events: number;
  /** CPU this process used over the round, per second of wall time (the relay's, or the publisher's). */
  cpuOfACore?: number;
  /** Busy share of all the machine's cores over the round (0 to 1; undefined off Linux). */
  machineBusy?: number | undefined;
  /** Relay only: notifications writers sent per commit, and each event's latency split at hand-over. */
  notificationsPerCommit?: number;
  split?: HandOverSplit;
}

/** p50 and p99 of the two parts of the relay's latency, in ms. */
export interface HandOverSplit {
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

/** CPU time since a start: this process's, per wall second, and the whole machine's busy share. */
interface CpuReading {
  /** CPU seconds of this process per wall second. */
  readonly ofACore: number;
  /** Busy share of all the machine's cores (0 to 1) from /proc/stat; undefined off Linux. */
  readonly machineBusy: number | undefined;
}

/** The machine's busy and total CPU ticks, all cores (the first line of /proc/stat); undefined off Linux. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      ?.trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    if (!fields || fields.length < 5) return undefined;
    const total = fields.reduce((sum, value) => sum + value, 0);
    // idle and iowait are the 4th and 5th fields.
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** Starts a CPU reading; the returned function gives the reading since. */
function cpuSince(): () => CpuReading {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const machineBefore = machineTicks();
  return () => {
    const cpu = process.cpuUsage(cpuBefore);
    const machine = machineTicks();
    const machineBusy =
      machine && machineBefore && machine.total > machineBefore.total
        ? ratio(machine.busy - machineBefore.busy, machine.total - machineBefore.total)
        : undefined;
    return { ofACore: ratio((cpu.user + cpu.system) / 1000, performance.now() - wallBefore), machineBusy };
  };
}

/** The three kinds of round, against one environment. */
export interface LatencyRounds {
  readonly relayRound: (load: Load, seconds: number) => Promise<Round>;
  readonly publishOnlyRound: (rate: number, seconds: number) => Promise<Round>;
  readonly loadedPublishOnlyRound: (load: Load, seconds: number) => Promise<Round>;
}

/**
 * The rounds against `env`; `wakeNotifications` counts the NOTIFYs heard on the outbox's wake
 * channel so far (the caller listens).
 *
 * @example const { relayRound } = latencyRounds(env, () => notifications); await relayRound({ rate: 500, perCommit: 1 }, 5);
 */
export function latencyRounds(env: RelayBenchEnvironment, wakeNotifications: () => number): LatencyRounds {
  const { url, pubsub, topicName, pool } = env;

  /**
   * Runs the producer process at `load` for `seconds`, `notify` saying whether its commits NOTIFY a
   * waiting relay, handing each report of committed events to `onCommitted`. Resolves with the rate
   * it offered once it has exited cleanly.
   */
  function runProducer(
    { rate, perCommit }: Load,
    seconds: number,
    notify: 'notify' | 'quiet',
    onCommitted: (events: [id: string, committedAt: number][]) => void,
  ): Promise<number> {
    const producer = fork(PRODUCER, [url, String(rate), String(seconds), notify, String(perCommit)], {
      execArgv: ['--import', 'tsx'],
    });
    return new Promise<number>((resolve, reject) => {
      let offered = Number.NaN;
      producer.on('message', (message: ProducerMessage) => {
        if (message.kind === 'committed') onCommitted(message.events);
        else offered = message.offeredPerSecond;
      });
      producer.once('exit', (code) => {
        if (code === 0) resolve(offered);
        else reject(new Error(`the producer exited with code ${String(code)}`));
      });
    });
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
    const cpuReading = cpuSince();
    const notificationsBefore = wakeNotifications();
    // The producer runs in its own process, so its schedule does not wait on the relay's work.
    const offered = await runProducer({ rate, perCommit }, seconds, 'notify', (events) => {
      for (const [id, at] of events) committedAt.set(id, at);
    });
    await waitFor(() => [...committedAt.keys()].every((id) => publishedAt.has(id)), {
      timeoutMs: 60_000,
      intervalMs: 20,
      description: `every event at ${String(rate)}/s to be published`,
    });
    const { ofACore: cpuOfACore, machineBusy } = cpuReading();
    const notified = wakeNotifications() - notificationsBefore;
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
      machineBusy,
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
      const message = encodeEvent({
        id: randomUUID(),
        source: '//rims/bench',
        type,
        subject,
        time: new Date(),
        sequence,
        data,
      });
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
    const cpuReading = cpuSince();
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
    const { ofACore: cpuOfACore, machineBusy } = cpuReading();
    if (failures > 0) console.warn(`publish-only: ${String(failures)} publishes failed (not counted)`);
    return { ...summary(latencies, offered), cpuOfACore, machineBusy };
  }

  /**
   * The baseline under the relay round's other load: the producer commits at `load` into the outbox
   * (no relay runs, nothing is published from it) while this process publishes as in
   * {@link publishOnlyRound}. What the emulator and the client take when PostgreSQL and the producer
   * share the cores as they do in a relay round; the rows it leaves are deleted after.
   */
  async function loadedPublishOnlyRound(load: Load, seconds: number): Promise<Round> {
    const finished = runProducer(load, seconds, 'quiet', () => undefined);
    const round = await publishOnlyRound(load.rate, seconds);
    await finished;
    await pool.query('DELETE FROM rims_outbox.events');
    return round;
  }

  return { relayRound, publishOnlyRound, loadedPublishOnlyRound };
}
