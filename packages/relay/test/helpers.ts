import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { createOutbox } from '@rims/outbox';
import { decodePubSubMessage, type EventInput, type RimsCloudEvent } from '@rims/schemas';
import { spawnNode, waitFor, type NodeProcess } from '@rims/test-harness';
import type { TestPubSub } from '@rims/test-harness/vitest';
import { afterAll } from 'vitest';

/** The command the Dockerfile's ENTRYPOINT runs: the tests start the relay the same way. */
export const RELAY_BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A logger for in-process relays in tests: warnings and errors only, on stderr. */
export const testLogger = pino({ level: process.env.RELAY_TEST_LOG ?? 'silent' }, pino.destination(2));

/**
 * A logger that keeps an in-process relay's warnings and errors, for a failing test to show: the
 * last `keep` lines, one JSON object each.
 */
export function keptLogger(keep = 20): { logger: typeof testLogger; lines: () => string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        lines.push(line.trimEnd());
        if (lines.length > keep) lines.shift();
      },
    },
  );
  return { logger, lines: () => [...lines] };
}

export const outbox = createOutbox({ source: '//rims/relay-test' });

/** A committed event for `subject`, valid per the catalogue. */
export function committedEvent(subject: string): EventInput {
  return {
    type: 'rims.item.committed.v1',
    subject,
    data: { item_id: subject, order_id: randomUUID(), sku: 'SKU-1', quantity: 1, location_id: 'store-1' },
  };
}

/**
 * Enqueues `perSubject` events for each subject, interleaving subjects, in transactions of
 * `batch` events.
 */
export async function enqueueRoundRobin(
  db: Kysely<unknown>,
  subjects: readonly string[],
  perSubject: number,
  batch = 200,
): Promise<number> {
  const events: EventInput[] = [];
  for (let round = 0; round < perSubject; round++) {
    for (const subject of subjects) events.push(committedEvent(subject));
  }
  for (let start = 0; start < events.length; start += batch) {
    const chunk = events.slice(start, start + batch);
    await db.transaction().execute((trx) => outbox.enqueue(trx, chunk));
  }
  return events.length;
}

/** What an ordered subscription received, in arrival order. */
export interface Received {
  readonly event: RimsCloudEvent;
  readonly message: Message;
}

/** Creates a topic and an ordered subscription on it, and collects everything delivered. */
export async function orderedTopic(
  client: PubSub,
  names: { topic: string; subscription: string },
): Promise<{ received: Received[]; subscription: Subscription; close: () => Promise<void> }> {
  const [topic] = await client.createTopic(names.topic);
  const [subscription] = await topic.createSubscription(names.subscription, {
    enableMessageOrdering: true,
    ackDeadlineSeconds: 60,
  });
  return { ...collect(subscription), subscription };
}

/** A topic of the test's own (`<prefix>-<random>`) with an ordered subscription collecting everything. */
export async function uniqueOrderedTopic(pubsub: TestPubSub, prefix: string) {
  const topic = pubsub.uniqueName(prefix);
  const created = await orderedTopic(pubsub.client(), {
    topic,
    subscription: pubsub.uniqueName(`${prefix}-sub`),
  });
  return { topic, ...created };
}

/** The options an in-process relay needs to use the test's database, emulator and topic, logging as the tests do. */
export function relayOptions(databaseUrl: string, pubsub: TestPubSub, topic: string) {
  return { databaseUrl, emulatorHost: pubsub.host, projectId: pubsub.projectId, topic, logger: testLogger };
}

/** The environment a relay child process needs to use the test's database, emulator and topic. */
export function relayEnv(databaseUrl: string, pubsub: TestPubSub, topic: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    PUBSUB_PROJECT_ID: pubsub.projectId,
    PUBSUB_TOPIC: topic,
  };
}

/** A list to push spawned relays into; any still running after the file are killed. */
export function killAfterAll(): RelayProcess[] {
  const relays: RelayProcess[] = [];
  afterAll(() => {
    for (const relay of relays) relay.child.kill('SIGKILL');
  });
  return relays;
}

/** Collects (and acks) every message `subscription` delivers. */
export function collect(subscription: Subscription): { received: Received[]; close: () => Promise<void> } {
  const received: Received[] = [];
  subscription.on('message', (message: Message) => {
    received.push({ event: decodePubSubMessage(message), message });
    message.ack();
  });
  subscription.on('error', () => undefined);
  return {
    received,
    close: async () => {
      subscription.removeAllListeners('message');
      await subscription.close();
    },
  };
}

/** The first-arrival sequence numbers of each subject, in arrival order. */
export function firstArrivals(received: readonly Received[]): Map<string, number[]> {
  const seen = new Set<string>();
  const bySubject = new Map<string, number[]>();
  for (const { event } of received) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const list = bySubject.get(event.subject) ?? [];
    list.push(Number(event.sequence));
    bySubject.set(event.subject, list);
  }
  return bySubject;
}

/** Subjects whose first arrivals are not 1, 2, 3 ... n in that order. */
export function outOfOrder(received: readonly Received[], perSubject: number): string[] {
  const bad: string[] = [];
  for (const [subject, sequences] of firstArrivals(received)) {
    const expected = Array.from({ length: perSubject }, (_, i) => i + 1);
    if (sequences.join(',') !== expected.join(',')) bad.push(subject);
  }
  return bad;
}

/** Distinct event ids received. */
export function distinctIds(received: readonly Received[]): Set<string> {
  return new Set(received.map((r) => r.event.id));
}

/** Counts rows matching a state in the outbox. */
export async function countEvents(
  db: Kysely<unknown>,
  where: 'pending' | 'published' | 'dead' | 'all',
): Promise<number> {
  const condition =
    where === 'pending'
      ? sql`published_at IS NULL AND dead_at IS NULL`
      : where === 'published'
        ? sql`published_at IS NOT NULL`
        : where === 'dead'
          ? sql`dead_at IS NOT NULL`
          : sql`true`;
  const result = await sql<{
    n: string;
  }>`SELECT count(*) AS n FROM rims_outbox.events WHERE ${condition}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** A relay started as a child process with `node dist/bin.js`. */
export interface RelayProcess extends NodeProcess {
  /** Its HTTP port, once it logged it. */
  httpPort(): Promise<number>;
}

/** Starts `rims-relay` with `args` and `env` on top of a minimal environment. */
export function spawnRelay(args: readonly string[], env: Record<string, string>): RelayProcess {
  const relay = spawnNode(RELAY_BIN, args, {
    RELAY_HTTP_PORT: '0',
    RELAY_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...env,
  });
  return {
    ...relay,
    httpPort: () =>
      waitFor(
        () => {
          const match = /"httpPort":(\d+)/.exec(relay.output());
          return match?.[1] ? Number(match[1]) : undefined;
        },
        {
          timeoutMs: 20_000,
          description: () => `the relay to start (output so far: ${relay.output().slice(-2000)})`,
        },
      ),
  };
}

/** The value of a metric (without labels) from a relay's /metrics. */
export async function scrapeMetric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.split(' ')[1]);
}
