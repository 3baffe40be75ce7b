// Past 300 lines on purpose: pulling, handing back, dead-lettering and acknowledging share the
// lander's subscription state (delivery counts, messages out) as one closure, read in one place.
import { setTimeout as sleep } from 'node:timers/promises';
import { v1, type PubSub } from '@google-cloud/pubsub';
import { resolveDatasets, type Datasets } from './datasets.js';
import { MergerConfigError, UndeliverableMessagesError } from './errors.js';
import { silentLogger, type MergerLogger } from './logger.js';
import { toRawRow, type LandedMessage, type RawRow } from './raw-row.js';
import { within } from '@rims/schemas';
import { renderStatement } from './statements.js';
import { NOOP_METER, type MeterLike } from './telemetry.js';
import type { Warehouse } from './warehouse/warehouse.js';

/** Options of {@link createLander}. */
export interface LanderOptions {
  /** The DuckDB warehouse to land into (on BigQuery the BigQuery subscription lands instead). */
  readonly warehouse: Warehouse;
  /** A Pub/Sub client (emulator or real); its `projectId` names the subscription's project. */
  readonly pubsub: PubSub;
  /** Subscription to pull, by name; default `rims-item-events-raw`. */
  readonly subscription?: string;
  readonly datasets?: Partial<Datasets>;
  /** Messages per pull and per warehouse transaction; default 500. */
  readonly batchSize?: number;
  /**
   * Deliveries before an unwritable message is parked, when the subscription has no dead-letter
   * policy of its own (then it stays in the backlog, as with the real subscription); default 5.
   */
  readonly maxDeliveryAttempts?: number;
  /**
   * Wait after a failed batch before pulling again (continuous mode), and the longest wait between
   * Pub/Sub reconnect attempts; default 1s.
   */
  readonly retryDelayMs?: number;
  readonly logger?: MergerLogger;
  readonly meter?: MeterLike;
}

/** What a lander did. */
export interface LandReport {
  /** Rows written to `rims_raw.item_events`. */
  readonly landed: number;
  /** Unwritable messages forwarded to the dead-letter topic. */
  readonly deadLettered: number;
  /** Unwritable messages handed back for another delivery. */
  readonly retried: number;
  readonly batches: number;
}

/**
 * The local stand-in for the Pub/Sub BigQuery subscription.
 *
 * @example
 * const lander = createLander({ warehouse, pubsub });
 * const report = await lander.drain();   // `rims-merger land --once`
 * // or: await lander.start(); ... await lander.stop({ timeout: 10_000 });
 */
export interface Lander {
  /** Lands until {@link Lander.stop}; resolves once the loop has started. */
  start(): Promise<void>;
  /** Stops pulling and waits (up to `timeout` ms, default 30s) for the batch in hand to commit or be handed back. */
  stop(options?: { timeout?: number }): Promise<void>;
  /**
   * Lands until the subscription is drained (an empty pull; on real Pub/Sub two in a row), then resolves.
   *
   * @throws {UndeliverableMessagesError} when only unwritable messages with nowhere to go remain
   */
  drain(): Promise<LandReport>;
  /** Counts so far. */
  report(): LandReport;
}

/** How often an idle lander polls the emulator (which answers an empty pull at once). */
const IDLE_POLL_MS = 200;
/** How long `drain` waits for handed-back messages to be delivered again. */
const HANDED_BACK_WAIT_MS = 60_000;

interface DeadLetterPolicy {
  readonly topic: string;
  readonly maxDeliveryAttempts: number;
}

interface Received {
  readonly ackId: string;
  readonly deliveryAttempt: number;
  readonly message: LandedMessage;
}

function timestampToDate(
  time:
    { seconds?: number | string | { toString(): string } | null; nanos?: number | null } | null | undefined,
): Date {
  // seconds may be a protobuf Long; its decimal text is exact.
  const seconds = Number((time?.seconds ?? 0).toString());
  const nanos = time?.nanos ?? 0;
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}

/**
 * How to give an existing subscription a dead-letter policy. `provision` is no fix: it never changes
 * a subscription that exists.
 */
function deadLetterFix(subscription: string): string {
  return `add a dead-letter policy with \`gcloud pubsub subscriptions update ${subscription} --dead-letter-topic=rims-item-events-dead-letter --max-delivery-attempts=5\` (your PUBSUB_DEAD_LETTER_TOPIC), or delete the subscription and run \`rims-merger provision\`, which creates it with one (provision never changes an existing subscription)`;
}

/**
 * Creates a lander: it pulls the subscription, writes exactly the rows the managed BigQuery
 * subscription (use_table_schema, write_metadata, drop_unknown_fields) would write, in one
 * transaction per batch, and acknowledges the messages only after that commit. A message it cannot
 * write (not JSON, a value its column cannot take) is handed back until the subscription's
 * max_delivery_attempts, then forwarded to the dead-letter topic with the reason in
 * `CloudPubSubDeadLetterSourceDeliveryErrorMessage` and acknowledged: nothing is dropped silently
 * and nothing blocks other messages. A warehouse failure hands the whole batch back.
 */
export function createLander(options: LanderOptions): Lander {
  if (options.warehouse.dialect !== 'duckdb') {
    throw new MergerConfigError(
      `rims-merger land writes to a DuckDB warehouse; with ${options.warehouse.description} the Pub/Sub BigQuery subscription created by \`rims-merger provision\` lands the events`,
    );
  }
  const datasets = resolveDatasets(options.datasets);
  const insertSql = renderStatement('duckdb', 'land/insert_raw_item_events.generated.sql', datasets);
  const subscriptionId = options.subscription ?? 'rims-item-events-raw';
  const batchSize = options.batchSize ?? 500;
  const fallbackAttempts = options.maxDeliveryAttempts ?? 5;
  const logger = options.logger ?? silentLogger();
  const meter = options.meter ?? NOOP_METER;
  const landedCounter = meter.createCounter('rims_merger_landed_rows', {
    description: 'Rows written to rims_raw.item_events',
  });
  const deadCounter = meter.createCounter('rims_merger_dead_lettered_messages', {
    description: 'Unwritable messages forwarded to the dead-letter topic',
  });
  const pubsub = options.pubsub;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  // The synchronous-pull client, on the same endpoint and credentials (emulator or real) as `pubsub`.
  // It reconnects no more slowly than the loop retries: gRPC's own reconnect backoff grows to 120 s,
  // so a lander that lived through a long outage could pull nothing for minutes after it.
  const reconnect: Record<`grpc.${string}`, number> = {
    'grpc.initial_reconnect_backoff_ms': Math.min(1_000, retryDelayMs),
    'grpc.max_reconnect_backoff_ms': retryDelayMs,
  };
  const subscriber = new v1.SubscriberClient({
    ...pubsub.options,
    port: pubsub.options.port === undefined ? undefined : Number(pubsub.options.port),
    ...reconnect,
  });
  const counts = { landed: 0, deadLettered: 0, retried: 0, batches: 0 };
  // Local delivery counts, used only when the subscription has no dead-letter policy.
  const failures = new Map<string, number>();
  // Messages handed back and not seen again yet: the subscription is not drained while any is out.
  const outstanding = new Set<string>();
  let resolved: { name: string; projectId: string; deadLetter: DeadLetterPolicy | undefined } | undefined;
  let loop: Promise<void> | undefined;
  // An object, not a let: the loop reads it after awaits, when stop() may have changed it.
  const control: { stopping: boolean; idle?: AbortController } = { stopping: false };
  const isStopping = () => control.stopping;
  let closed = false;

  async function subscription() {
    if (resolved) return resolved;
    // Resolves the project id when the client was created without one.
    await pubsub.getClientConfig();
    const projectId = pubsub.projectId;
    const handle = pubsub.subscription(subscriptionId);
    const [metadata] = await handle.getMetadata();
    const policy = metadata.deadLetterPolicy;
    resolved = {
      name: handle.name,
      projectId,
      deadLetter: policy?.deadLetterTopic
        ? { topic: policy.deadLetterTopic, maxDeliveryAttempts: policy.maxDeliveryAttempts ?? 5 }
        : undefined,
    };
    if (!resolved.deadLetter) {
      logger.warn(
        { subscription: resolved.name },
        `subscription has no dead-letter policy: unwritable messages will stay in its backlog; ${deadLetterFix(subscriptionId)}`,
      );
    }
    return resolved;
  }

  async function pull(name: string, returnImmediately: boolean): Promise<Received[]> {
    const [response] = await subscriber.pull(
      { subscription: name, maxMessages: batchSize, returnImmediately },
      { timeout: returnImmediately ? 10_000 : 15_000 },
    );
    return (response.receivedMessages ?? []).flatMap((received): Received[] => {
      const message = received.message;
      if (!received.ackId || !message) return [];
      return [
        {
          ackId: received.ackId,
          deliveryAttempt: received.deliveryAttempt ?? 0,
          message: {
            data: message.data instanceof Uint8Array ? message.data : new Uint8Array(),
            attributes: message.attributes ?? {},
            messageId: message.messageId ?? '',
            publishTime: timestampToDate(message.publishTime),
            orderingKey: message.orderingKey ?? undefined,
          },
        },
      ];
    });
  }

  async function handBack(name: string, ackIds: string[]): Promise<void> {
    if (ackIds.length > 0)
      await subscriber.modifyAckDeadline({ subscription: name, ackIds, ackDeadlineSeconds: 0 });
  }

  async function acknowledge(name: string, ackIds: string[]): Promise<void> {
    if (ackIds.length > 0) await subscriber.acknowledge({ subscription: name, ackIds });
  }

  /** Lands one pull. Returns how many messages it received and how many of them are stuck. */
  async function landBatch(returnImmediately: boolean): Promise<{ received: number; stuck: number }> {
    const target = await subscription();
    const batch = await pull(target.name, returnImmediately);
    for (const received of batch) outstanding.delete(received.message.messageId);
    if (batch.length === 0) return { received: 0, stuck: 0 };
    const rows: RawRow[] = [];
    const written: string[] = [];
    const unwritable: { received: Received; error: string }[] = [];
    for (const received of batch) {
      const result = toRawRow(received.message, target.name);
      if (result.ok) {
        rows.push(result.row);
        written.push(received.ackId);
      } else unwritable.push({ received, error: result.error });
    }
    if (rows.length > 0) {
      try {
        await options.warehouse.query(insertSql, {
          params: { rows: { type: 'STRING', value: JSON.stringify(rows) } },
          statement: 'land/insert_raw_item_events.generated.sql',
        });
      } catch (error) {
        // The destination failed, not the messages: hand everything back (no dead-lettering), as the
        // managed subscription keeps messages in its backlog while its table is unavailable.
        await handBack(
          target.name,
          batch.map((received) => received.ackId),
        );
        throw error;
      }
      // Acknowledged only after the rows are committed: a crash in between lands them again
      // (at least once), never loses them.
      await acknowledge(target.name, written);
      counts.landed += rows.length;
      landedCounter.add(rows.length);
    }
    let stuck = 0;
    for (const { received, error } of unwritable) {
      const { message } = received;
      if (target.deadLetter) {
        if (received.deliveryAttempt >= target.deadLetter.maxDeliveryAttempts) {
          await pubsub.topic(target.deadLetter.topic).publishMessage({
            data: Buffer.from(message.data),
            attributes: {
              ...message.attributes,
              CloudPubSubDeadLetterSourceDeliveryCount: String(received.deliveryAttempt),
              CloudPubSubDeadLetterSourceSubscription: subscriptionId,
              CloudPubSubDeadLetterSourceSubscriptionProject: target.projectId,
              CloudPubSubDeadLetterSourceTopicPublishTime: message.publishTime.toISOString(),
              CloudPubSubDeadLetterSourceDeliveryErrorMessage: error,
            },
          });
          await acknowledge(target.name, [received.ackId]);
          counts.deadLettered += 1;
          deadCounter.add(1);
          logger.warn(
            { messageId: message.messageId, error, deadLetterTopic: target.deadLetter.topic },
            'message dead-lettered',
          );
          continue;
        }
      } else {
        const seen = (failures.get(message.messageId) ?? 0) + 1;
        failures.set(message.messageId, seen);
        if (seen >= fallbackAttempts) stuck += 1;
      }
      await handBack(target.name, [received.ackId]);
      outstanding.add(message.messageId);
      counts.retried += 1;
      logger.info(
        { messageId: message.messageId, attempt: received.deliveryAttempt, error },
        'message not writable; handed back',
      );
    }
    counts.batches += 1;
    logger.debug(
      { received: batch.length, landed: rows.length, unwritable: unwritable.length },
      'batch landed',
    );
    return { received: batch.length, stuck };
  }

  const drainsImmediately = () => pubsub.isEmulator;

  return {
    async start() {
      if (loop) return;
      await subscription();
      control.stopping = false;
      const idle = new AbortController();
      control.idle = idle;
      const pause = (ms: number) => sleep(ms, undefined, { signal: idle.signal }).catch(() => undefined);
      loop = (async () => {
        while (!isStopping()) {
          try {
            // The emulator answers at once (then the loop pauses briefly); real Pub/Sub long-polls.
            const { received } = await landBatch(drainsImmediately());
            if (received === 0 && drainsImmediately()) await pause(IDLE_POLL_MS);
          } catch (error) {
            if (isStopping()) break;
            logger.error({ err: error }, 'landing a batch failed; retrying');
            await pause(retryDelayMs);
          }
        }
      })();
      logger.info(
        { subscription: resolved?.name, warehouse: options.warehouse.description },
        'lander started',
      );
    },
    async stop({ timeout = 30_000 } = {}) {
      control.stopping = true;
      control.idle?.abort();
      if (loop) {
        if (!(await within(loop, timeout)))
          logger.warn({ timeout }, 'lander did not stop in time; closing anyway');
        loop = undefined;
      }
      if (!closed) {
        closed = true;
        await subscriber.close();
      }
    },
    async drain() {
      let empty = 0;
      let waitingSince: number | undefined;
      for (;;) {
        const { received, stuck } = await landBatch(drainsImmediately());
        if (received === 0) {
          // Handed-back messages come back after a moment: not drained until they have.
          if (outstanding.size > 0) {
            waitingSince ??= Date.now();
            if (Date.now() - waitingSince < HANDED_BACK_WAIT_MS) {
              await sleep(IDLE_POLL_MS);
              continue;
            }
            logger.warn(
              { messages: outstanding.size },
              'handed-back messages did not come back; another subscriber may hold them',
            );
          }
          empty += 1;
          // The emulator answers an empty pull at once when nothing is left; real Pub/Sub may return
          // empty while messages remain, so it must be empty twice in a row.
          if (drainsImmediately() || empty >= 2) return { ...counts };
          continue;
        }
        waitingSince = undefined;
        empty = 0;
        if (stuck > 0 && stuck === received) {
          throw new UndeliverableMessagesError(
            `${String(stuck)} message(s) cannot be written to the raw table and the subscription has no dead-letter policy, so they stay in its backlog (see the lander log for each reason); ${deadLetterFix(subscriptionId)}`,
          );
        }
      }
    },
    report: () => ({ ...counts }),
  };
}
