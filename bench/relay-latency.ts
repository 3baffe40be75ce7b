/**
 * bench/relay-latency: commit-to-publish latency at fixed offered loads, round after round, beside a
 * publish-only baseline at the same rate measured in the same rounds, so the relay's own share shows.
 *
 * A producer process (bench/relay-latency-producer.ts) commits events at a steady rate over 200
 * subjects, one per transaction unless the load says otherwise, while a relay in this process
 * publishes them (the rounds: bench/relay-latency-rounds.ts). Latency is from the moment
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
 * the relay's own in relay rounds, the publisher's in the baselines; and how busy the whole machine
 * was (`machine_busy`, the busy share of all cores from /proc/stat): on these 2 shared cores a round
 * near 1 measures the queue for a core as much as the relay.
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
import { parseArgs } from 'node:util';
import pg from 'pg';
import { outboxWakeChannel } from '@rims/outbox';
import { RELAY_DEFAULTS } from '@rims/relay';
import { latencyRounds, SUBJECTS, type Load, type Round } from './relay-latency-rounds.js';
import { relayBenchEnvironment } from './relay-environment.js';
import { ratio, spread, writeResults, type Spread } from './results.js';

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

const env = await relayBenchEnvironment('bench_relay_latency');

const listener = new pg.Client({ connectionString: env.url });
await listener.connect();
let notifications = 0;
listener.on('notification', () => {
  notifications += 1;
});
await listener.query(`LISTEN ${pg.escapeIdentifier(outboxWakeChannel('rims_outbox'))}`);
const { relayRound, publishOnlyRound, loadedPublishOnlyRound } = latencyRounds(env, () => notifications);

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
    `${name}: p50 ${String(round.p50)} ms, p99 ${String(round.p99)} ms, max ${String(round.max)} ms (${round.offeredPerSecond.toFixed(0)}/s offered, ${String(round.cpuOfACore)} of a core here, machine ${round.machineBusy === undefined ? '?' : `${String(Math.round(round.machineBusy * 100))} %`} busy${extra})`,
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
          machine_busy: of((r) => r.machineBusy),
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
