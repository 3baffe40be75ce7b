/**
 * `rims-merger check` against the real pipeline: a relay enqueuing heartbeats through the outbox in
 * PostgreSQL, the Pub/Sub emulator, the lander (what the BigQuery subscription writes) and the merge
 * into DuckDB. Thresholds are seconds here so each failure shows within the test.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countWaitingMessages,
  createLander,
  openDuckDbWarehouse,
  provisionPubSub,
  provisionWarehouse,
  runCheck,
  runMerge,
  type CheckReport,
  type Warehouse,
} from '@rims/merger';
import { createOutbox } from '@rims/outbox';
import { createRelay, type Relay } from '@rims/relay';
import { HEARTBEAT_SUBJECT_PREFIX, toPubSubMessage } from '@rims/schemas';
import { spawnNode } from '@rims/test-harness';
import { useTestDatabase, useTestPubSub, useScratchDirectory } from '@rims/test-harness/vitest';

const database = useTestDatabase({ label: 'pipeline_check' });
const pubsub = useTestPubSub();
const dir = useScratchDirectory('check');
const warehousePath = join(dir, 'warehouse.duckdb');
const names = {
  topic: pubsub.uniqueName('check-events'),
  subscription: pubsub.uniqueName('check-raw'),
  deadLetterTopic: pubsub.uniqueName('check-dead'),
};
/** The freshness threshold of these tests: a heartbeat every 300 ms, merged every few hundred. */
const MAX_LAG_MS = 3_000;
const MERGER_BIN = fileURLToPath(new URL('../../packages/merger/dist/bin.js', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let relay: Relay;
/** The consumer subscription filter the merger README documents. */
const HEARTBEAT_FILTER = 'attributes.ce-type != "rims.pipeline.heartbeat.v1"';
let consumerName = '';

/** Opens the DuckDB file for one step and closes it, so the CLI (another connection) can open it too. */
async function withWarehouse<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openDuckDbWarehouse(warehousePath);
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** Lands what the subscription holds, then (unless the merger is "stopped") merges it. */
function landAndMerge(options: { merge: boolean } = { merge: true }) {
  return withWarehouse(async (warehouse) => {
    const lander = createLander({ warehouse, pubsub: pubsub.client(), subscription: names.subscription });
    await lander.drain();
    await lander.stop();
    if (options.merge) await runMerge(warehouse);
  });
}

/**
 * Keeps the pipeline moving for `ms`, and for two passes at least, as the scheduled jobs would, and
 * returns the longest pass: the period of this test's "schedule", which is however long one land and
 * merge takes on this machine. Two passes, because a heartbeat published during one pass's drain only
 * lands in the next: on a loaded machine, where one pass took over 2 s, a single pass left Raw
 * without any heartbeat.
 */
async function keepMoving(ms: number, options: { merge: boolean } = { merge: true }): Promise<number> {
  const until = Date.now() + ms;
  let slowestMs = 0;
  for (let passes = 0; passes < 2 || Date.now() < until; passes += 1) {
    const started = Date.now();
    await landAndMerge(options);
    slowestMs = Math.max(slowestMs, Date.now() - started);
    await sleep(200);
  }
  return slowestMs;
}

function check(thresholds: { maxLagMs?: number; maxRejectedRatio?: number } = {}): Promise<CheckReport> {
  return withWarehouse((warehouse) =>
    runCheck(warehouse, {
      maxLagMs: MAX_LAG_MS,
      ...thresholds,
      countDeadLetters: () => countWaitingMessages(pubsub.client(), names.deadLetterTopic),
    }),
  );
}

/** `rims-merger check` as the scheduled job runs it: the binary, its exit status and its output. */
async function checkCli(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  const cli = spawnNode(MERGER_BIN, ['check', ...args], {
    WAREHOUSE_URL: `duckdb://${warehousePath}`,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    PUBSUB_PROJECT_ID: pubsub.projectId,
    PUBSUB_DEAD_LETTER_TOPIC: names.deadLetterTopic,
    LOG_LEVEL: 'silent',
  });
  const { code } = await cli.exited;
  return { code, stdout: cli.output() };
}

const verdicts = (report: CheckReport) =>
  Object.fromEntries(report.checks.map((line) => [line.name, line.verdict]));

beforeAll(async () => {
  await provisionPubSub(pubsub.client(), { ...names, kind: 'pull' });
  consumerName = pubsub.uniqueName('check-consumer');
  await pubsub.client().topic(names.topic).createSubscription(consumerName, { filter: HEARTBEAT_FILTER });
  await withWarehouse((warehouse) => provisionWarehouse(warehouse).then(() => undefined));
  // Running means the relay has published its first heartbeat; until then the checks could only
  // say there is none, which is what they are for.
  let heartbeatPublished: () => void = () => undefined;
  const firstHeartbeat = new Promise<void>((resolve) => {
    heartbeatPublished = resolve;
  });
  relay = createRelay({
    databaseUrl: database.url,
    emulatorHost: pubsub.host,
    projectId: pubsub.projectId,
    topic: names.topic,
    replicaId: 'check-relay-1',
    heartbeatEventIntervalMs: 300,
    onPublished: (events) => {
      if (events.some((event) => event.subject.startsWith(HEARTBEAT_SUBJECT_PREFIX))) heartbeatPublished();
    },
  });
  await relay.start();
  // Item events as well, so the rejected ratio has a denominator.
  const outbox = createOutbox({ source: '//rims/check-test' });
  await database
    .kysely<unknown>()
    .transaction()
    .execute((trx) =>
      outbox.enqueue(
        trx,
        Array.from({ length: 20 }, (_, index) => ({
          type: 'rims.item.committed.v1' as const,
          subject: `check-item-${String(index)}`,
          data: {
            item_id: `check-item-${String(index)}`,
            order_id: 'order-1',
            sku: 'SKU-1',
            quantity: 1,
            location_id: 'store-1',
          },
        })),
      ),
    );
  await firstHeartbeat;
}, 60_000);

afterAll(async () => {
  await relay.stop({ timeout: 5_000 });
});

describe('rims-merger check on a running pipeline', () => {
  it('passes on a healthy pipeline, every check within its threshold', async () => {
    // As in production, the freshness threshold must exceed the merge schedule's period. Here that
    // period is one land and merge: 0.5 s on an idle machine, 2-4 s seen on a loaded one, where a
    // fixed 3 s failed a healthy pipeline (the age it reports counts the merge that brought the heartbeat).
    const periodMs = await keepMoving(2_000);
    const maxLagMs = MAX_LAG_MS + periodMs;
    const report = await check({ maxLagMs });
    expect(verdicts(report), `${JSON.stringify(report.checks)}, merge period ${String(periodMs)} ms`).toEqual(
      {
        'heartbeat-age': 'ok',
        'heartbeat-lag': 'ok',
        'rejected-ratio': 'ok',
        'dead-letters': 'ok',
        'failed-runs': 'ok',
      },
    );
    expect(report.ok).toBe(true);
    const age = report.checks.find((line) => line.name === 'heartbeat-age')?.value ?? Infinity;
    expect(age).toBeLessThan(maxLagMs / 1000);
  }, 60_000);

  it('takes the documented consumer filter on the ce-type attribute every heartbeat carries', async () => {
    // The emulator stores a filter but does not apply it (seen: every message is delivered), so this
    // checks the filter is accepted and the attribute it reads is there; Pub/Sub applies it on GCP.
    const [metadata] = await pubsub.client().subscription(consumerName).getMetadata();
    expect(metadata.filter).toBe(HEARTBEAT_FILTER);
    const landed = await withWarehouse((warehouse) =>
      warehouse.query(
        `SELECT DISTINCT json_extract_string(attributes, '$."ce-type"') AS type FROM rims_raw.item_events
         WHERE type = 'rims.pipeline.heartbeat.v1'`,
        { statement: 'test: heartbeat attributes' },
      ),
    );
    expect(landed.rows).toEqual([{ type: 'rims.pipeline.heartbeat.v1' }]);
  });

  it('prints one line per check and exits 0 when all hold (the binary)', async () => {
    await keepMoving(500);
    const { code, stdout: output } = await checkCli(['--max-lag', '1m']); // the process start takes seconds
    expect(code, output).toBe(0);
    const printed = output.trimEnd().split('\n');
    expect(printed.map((line) => line.split(/\s+/)[0])).toEqual([
      'heartbeat-age',
      'heartbeat-lag',
      'rejected-ratio',
      'dead-letters',
      'failed-runs',
    ]);
    for (const line of printed) expect(line).toMatch(/ threshold \S+ +ok /);
  }, 60_000);

  it('detects a stopped merger: heartbeats land in Raw but none reaches Core', async () => {
    await keepMoving(MAX_LAG_MS + 1_500, { merge: false });
    const report = await check();
    expect(verdicts(report)['heartbeat-age']).toBe('breach');
    expect(report.ok).toBe(false);
    expect(report.checks[0]?.detail).toContain('the merger is behind');
    // Merging again catches up: the newest heartbeat in Core is younger than the one that breached
    // (compared, not held to 3 s, so a loaded machine's slow merge loop cannot fail it).
    const stale = report.checks[0]?.value ?? 0;
    await keepMoving(1_500);
    const caughtUp = (await check()).checks[0];
    expect(caughtUp?.value ?? Infinity).toBeLessThan(stale);
  }, 60_000);

  it('detects a stopped relay: no new heartbeat at all', async () => {
    await relay.stop({ timeout: 5_000 });
    await keepMoving(MAX_LAG_MS + 1_500);
    const report = await check();
    expect(verdicts(report)['heartbeat-age']).toBe('breach');
    expect(report.checks[0]?.detail).not.toContain('the merger is behind');
    expect(report.ok).toBe(false);
  }, 60_000);

  it('detects a burst of invalid events (rejected ratio) and a dead letter, and the CLI exits 1', async () => {
    const topic = pubsub.client().topic(names.topic);
    const valid = {
      specversion: '1.0',
      id: 'x',
      source: '//rims/check-test',
      type: 'rims.item.committed.v1',
      time: new Date().toISOString(),
      sequence: '1',
      datacontenttype: 'application/json',
      data: { item_id: 'burst', order_id: 'o', sku: 's', quantity: 1, location_id: 'l' },
    };
    // Five events whose subject is not their item: they land, and the merge rejects them.
    for (let index = 0; index < 5; index += 1) {
      await topic.publishMessage(
        toPubSubMessage({
          ...valid,
          id: `burst-${String(index)}`,
          subject: `not-burst-${String(index)}`,
        } as never),
      );
    }
    // And one the subscription cannot write at all: the lander dead-letters it.
    await topic.publishMessage({ data: Buffer.from('not json') });
    await keepMoving(1_500);
    const report = await check({ maxLagMs: 3_600_000 });
    const ratio = report.checks.find((line) => line.name === 'rejected-ratio');
    expect(ratio?.verdict, JSON.stringify(ratio)).toBe('breach');
    expect(ratio?.value).toBeCloseTo(5 / 25, 5);
    expect(verdicts(report)['dead-letters']).toBe('breach');
    expect(report.checks.find((line) => line.name === 'dead-letters')?.value).toBe(1);
    // Within a looser threshold the same ratio holds.
    expect(verdicts(await check({ maxLagMs: 3_600_000, maxRejectedRatio: 0.5 }))['rejected-ratio']).toBe(
      'ok',
    );

    const { code, stdout } = await checkCli(['--json']);
    expect(code, stdout).toBe(1);
    const json = JSON.parse(stdout) as { ok: boolean; checks: { name: string; verdict: string }[] };
    expect(json.ok).toBe(false);
    expect(json.checks.find((line) => line.name === 'rejected-ratio')?.verdict).toBe('breach');
  }, 60_000);
});
