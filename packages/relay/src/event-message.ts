import { Buffer } from 'node:buffer';
import { EventValidationError, encodeEvent, type OutgoingPubSubMessage } from '@rims/schemas';
import { UnpublishableEventError } from './errors.js';
import type { PendingRow } from './queries/index.js';

/**
 * Pub/Sub limits a message must respect (https://cloud.google.com/pubsub/quotas#resource_limits).
 *
 * @example const fits = (payload: Uint8Array) => payload.byteLength <= PUBSUB_LIMITS.messageBytes;
 */
export const PUBSUB_LIMITS = {
  /** Whole message: data, attributes and ordering key. */
  messageBytes: 10_000_000,
  attributeKeyBytes: 256,
  attributeValueBytes: 1024,
  attributes: 100,
  orderingKeyBytes: 1024,
} as const;

/**
 * Turns a stored event into the Pub/Sub message the relay publishes: a structured-mode CloudEvent
 * encoded by @rims/schemas, validated against the event catalogue and the CloudEvents spec
 * (consumers never receive an event the schemas reject), and checked against Pub/Sub's size limits
 * before it is sent.
 *
 * @throws {UnpublishableEventError} when the row can never be published as it is
 * @example await topic.publishMessage(eventMessage(row));
 */
export function eventMessage(row: PendingRow): OutgoingPubSubMessage {
  let message: OutgoingPubSubMessage;
  try {
    message = encodeEvent({
      id: row.id,
      source: row.source,
      type: row.type as never,
      subject: row.subject,
      time: row.time,
      sequence: row.sequence,
      data: row.data as never,
      traceparent: row.traceparent,
    });
  } catch (error) {
    if (error instanceof EventValidationError) {
      throw new UnpublishableEventError(
        `event does not decode to a valid RIMS CloudEvent: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  checkLimits(message);
  return message;
}

function checkLimits(message: OutgoingPubSubMessage): void {
  const problems: string[] = [];
  const keyBytes = Buffer.byteLength(message.orderingKey);
  if (keyBytes > PUBSUB_LIMITS.orderingKeyBytes) {
    problems.push(
      `ordering key (subject) is ${String(keyBytes)} bytes, over ${String(PUBSUB_LIMITS.orderingKeyBytes)}`,
    );
  }
  let total = message.data.byteLength + keyBytes;
  const entries = Object.entries(message.attributes);
  if (entries.length > PUBSUB_LIMITS.attributes) {
    problems.push(`${String(entries.length)} attributes, over ${String(PUBSUB_LIMITS.attributes)}`);
  }
  for (const [key, value] of entries) {
    const k = Buffer.byteLength(key);
    const v = Buffer.byteLength(value);
    total += k + v;
    if (k > PUBSUB_LIMITS.attributeKeyBytes) {
      problems.push(
        `attribute name '${key.slice(0, 40)}' is ${String(k)} bytes, over ${String(PUBSUB_LIMITS.attributeKeyBytes)}`,
      );
    }
    if (v > PUBSUB_LIMITS.attributeValueBytes) {
      problems.push(
        `attribute ${key} is ${String(v)} bytes, over ${String(PUBSUB_LIMITS.attributeValueBytes)}`,
      );
    }
  }
  if (total > PUBSUB_LIMITS.messageBytes) {
    problems.push(
      `message is ${String(total)} bytes, over the Pub/Sub limit of ${String(PUBSUB_LIMITS.messageBytes)}`,
    );
  }
  if (problems.length > 0) {
    throw new UnpublishableEventError(`message breaks Pub/Sub limits: ${problems.join('; ')}`);
  }
}
