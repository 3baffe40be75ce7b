/**
 * The relay's black-box chaos scenario: the `rims-relay` binary as a process, configured by its
 * environment only, publishing through a fault-injecting TCP proxy in front of the real Pub/Sub
 * emulator while writers keep committing, replicas are SIGTERMed and SIGKILLed, and PostgreSQL is
 * restarted. At the end every replica is killed and `rims-relay --once` (twice at the same time) must
 * drain what is left. Checked: every event delivered, and per item the FIRST delivery of each event
 * in sequence order. Used by chaos.test.ts (a short run in CI) and run-chaos.ts (many long runs).
 */
import { fileURLToPath } from 'node:url';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createOutbox } from '@rims/outbox';
import { decodePubSubMessage, type EventInput } from '@rims/schemas';
import {
  createDatabase,
  emulatorClientConfig,
  migrateDatabase,
  spawnNode,
  startFaultProxy,
  startThrowawayPostgres,
  waitFor,
  seededRandom,
  withDatabase,
  type Fault,
  type NodeProcess,
} from '@rims/test-harness';

const RELAY_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** Settings of one chaos run. */
export interface ChaosOptions {
  readonly seed: number;
  /** How long writers commit and faults are injected. */
  readonly durationMs: number;
  readonly emulatorHost: string;
  readonly projectId: string;
  readonly replicas?: number;
  readonly items?: number;
  readonly writers?: number;
  /** Events per writer transaction. */
  readonly batch?: number;
  /** Restart PostgreSQL once, half-way. */
  readonly restartPostgres?: boolean;
  readonly log?: (line: string) => void;
}

/** What one chaos run did and found. */
export interface ChaosReport {
  readonly seed: number;
  readonly events: number;
  readonly delivered: number;
  readonly deliveries: number;
  readonly outages: number;
  readonly sigterms: number;
  readonly sigkills: number;
  readonly postgresRestarts: number;
  /** Events committed but never delivered. */
  readonly lost: number;
  /** Items whose first deliveries were not 1, 2, 3 … in that order, with what arrived. */
  readonly violations: readonly { readonly subject: string; readonly firstDeliveries: string }[];
  /** Exit codes of the two `--once` runs after the last crash. */
  readonly onceExitCodes: readonly (number | null)[];
  /** Events neither published nor dead in PostgreSQL after the `--once` runs. */
  readonly leftPending: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Compresses 1,2,3,7,8 into "1..3,7..8" for failure messages. */
export function ranges(values: readonly number[]): string {
  const parts: string[] = [];
  let start = values[0];
  let previous = start;
  for (const value of [...values.slice(1), Number.NaN]) {
    if (start === undefined || previous === undefined) break;
    if (value === previous + 1) {
      previous = value;
      continue;
    }
    parts.push(start === previous ? String(start) : `${String(start)}..${String(previous)}`);
    start = value;
    previous = value;
  }
  return parts.join(',');
}

/**
 * Runs one chaos scenario and reports what happened. Throws only when the scenario itself cannot
 * run (no PostgreSQL binaries, emulator down); the guarantees are checked by the caller.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const random = seededRandom(options.seed);
  const log = options.log ?? (() => undefined);
  const replicaCount = options.replicas ?? 3;
  const items = Array.from({ length: options.items ?? 50 }, (_, i) => `chaos-item-${String(i)}`);
  const batch = options.batch ?? 30;
  const suffix = `${String(options.seed)}-${String(Date.now())}`;
  const topicName = `chaos-${suffix}`;

  const postgres = await startThrowawayPostgres();
  await createDatabase(postgres.url, 'chaos');
  const databaseUrl = withDatabase(postgres.url, 'chaos');
  await migrateDatabase(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // PostgreSQL restarts under the writers: a connection it terminates between two statements of a
  // transaction reports the error on the client, which must not crash the scenario.
  pool.on('error', () => undefined);
  pool.on('connect', (connection) => connection.on('error', () => undefined));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const outbox = createOutbox({ source: '//rims/chaos' });

  const client = new PubSub(emulatorClientConfig(options.emulatorHost, options.projectId));
  const [topic] = await client.createTopic(topicName);
  const [subscription] = await topic.createSubscription(`${topicName}-sub`, {
    enableMessageOrdering: true,
    ackDeadlineSeconds: 60,
  });
  const firstDeliveries = new Map<string, number[]>();
  const seen = new Set<string>();
  let deliveries = 0;
  subscription.on('message', (message: Message) => {
    deliveries += 1;
    const event = decodePubSubMessage(message);
    message.ack();
    if (seen.has(event.id)) return;
    seen.add(event.id);
    const list = firstDeliveries.get(event.subject) ?? [];
    list.push(Number(event.sequence));
    firstDeliveries.set(event.subject, list);
  });
  subscription.on('error', () => undefined);

  const proxy = await startFaultProxy(options.emulatorHost);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    PUBSUB_EMULATOR_HOST: proxy.host,
    PUBSUB_PROJECT_ID: options.projectId,
    PUBSUB_TOPIC: topicName,
    RELAY_HEARTBEAT_INTERVAL: '300ms',
    RELAY_LEASE_TTL: '4s',
    RELAY_PUBLISH_TIMEOUT: '2s',
    RELAY_BACKOFF_INITIAL: '50ms',
    RELAY_BACKOFF_MAX: '1s',
    RELAY_SHUTDOWN_TIMEOUT: '2s',
    LOG_LEVEL: 'warn',
  };
  const relays: (NodeProcess | undefined)[] = [];
  const startRelay = (slot: number) => {
    relays[slot] = spawnNode(RELAY_BIN, [], { ...env, RELAY_HTTP_PORT: '0', RELAY_HTTP_HOST: '127.0.0.1' });
  };
  for (let slot = 0; slot < replicaCount; slot++) startRelay(slot);

  const counts = { outages: 0, sigterms: 0, sigkills: 0, postgresRestarts: 0 };
  const deadline = Date.now() + options.durationMs;
  const running = () => Date.now() < deadline;

  const randomEvents = (): EventInput[] =>
    Array.from({ length: batch }, () => {
      const item = items[Math.floor(random() * items.length)] ?? 'chaos-item-0';
      return {
        type: 'rims.item.committed.v1',
        subject: item,
        data: {
          item_id: item,
          order_id: `order-${String(Math.floor(random() * 1e9))}`,
          sku: 'SKU-1',
          quantity: 1,
          location_id: 'store-1',
        },
      };
    });
  const writer = async () => {
    while (running()) {
      try {
        await db.transaction().execute((trx) => outbox.enqueue(trx, randomEvents()));
      } catch {
        await sleep(200); // PostgreSQL restarting: the transaction rolled back (or committed; the table is the truth)
      }
      await sleep(50 + random() * 100);
    }
  };
  const network = async () => {
    while (running()) {
      await sleep(1_000 + random() * 1_000);
      if (!running()) break;
      const faults: Fault[] = random() < 0.25 ? ['stall'] : ['drop', 'refuse'];
      counts.outages += 1;
      await proxy.inject(faults, 1_000 + random() * 1_000);
    }
  };
  const crashes = async () => {
    while (running()) {
      await sleep(2_000 + random() * 3_000);
      if (!running()) break;
      const slot = Math.floor(random() * replicaCount);
      const relay = relays[slot];
      if (!relay) continue;
      const kill = random() < 0.5;
      if (kill) counts.sigkills += 1;
      else counts.sigterms += 1;
      await relay.stop(kill ? 'SIGKILL' : 'SIGTERM');
      await sleep(random() * 1_000);
      startRelay(slot);
    }
  };
  const restart = async () => {
    if (options.restartPostgres === false) return;
    await sleep(options.durationMs / 2);
    await postgres.stop();
    counts.postgresRestarts += 1;
    await sleep(1_500);
    await postgres.start();
  };

  const writers = Array.from({ length: options.writers ?? 2 }, () => writer());
  await Promise.all([...writers, network(), crashes(), restart()]);
  log(`traffic over: ${JSON.stringify(counts)}`);

  // One last crash of every replica, then two `--once` runs at the same time must drain the rest:
  // they wait for the dead replicas' leases to expire and take them over.
  await Promise.all(relays.map((relay) => relay?.stop('SIGKILL') ?? Promise.resolve()));
  counts.sigkills += relays.length;
  const onceEnv = { ...env, RELAY_ONCE_TIMEOUT: '60s' };
  const onceRuns = [spawnNode(RELAY_BIN, ['--once'], onceEnv), spawnNode(RELAY_BIN, ['--once'], onceEnv)];
  const onceExits = await Promise.all(onceRuns.map((run) => run.exited));
  for (const [index, run] of onceRuns.entries()) {
    if (onceExits[index]?.code !== 0) log(`--once ${String(index)} output:\n${run.output().slice(-3_000)}`);
  }

  const counted = await sql<{ total: string; pending: string }>`
    SELECT count(*) AS total,
           count(*) FILTER (WHERE published_at IS NULL AND dead_at IS NULL) AS pending
    FROM rims_outbox.events`.execute(db);
  const total = Number(counted.rows[0]?.total ?? 0);
  const leftPending = Number(counted.rows[0]?.pending ?? 0);
  const lastSequences = await sql<{ subject: string; last: string }>`
    SELECT subject, max(sequence)::text AS last FROM rims_outbox.events GROUP BY subject`.execute(db);
  // Delivery lags acceptance a little: wait for the subscriber to have everything accepted.
  await waitFor(() => seen.size >= total, { timeoutMs: 30_000, intervalMs: 200 }).catch(() => undefined);

  const violations: { subject: string; firstDeliveries: string }[] = [];
  for (const { subject, last } of lastSequences.rows) {
    const got = firstDeliveries.get(subject) ?? [];
    const ordered = got.every((sequence, index) => sequence === index + 1);
    if (!ordered) violations.push({ subject, firstDeliveries: ranges(got) });
    else if (got.length !== Number(last)) log(`${subject}: delivered 1..${String(got.length)} of ${last}`);
  }

  subscription.removeAllListeners('message');
  await subscription.close();
  await client.close();
  await proxy.close();
  await db.destroy();
  await postgres.destroy();
  return {
    seed: options.seed,
    events: total,
    delivered: seen.size,
    deliveries,
    ...counts,
    lost: total - seen.size,
    violations,
    onceExitCodes: onceExits.map((exit) => exit.code),
    leftPending,
  };
}
