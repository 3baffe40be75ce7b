import { Buffer } from 'node:buffer';
import { CloudEvent } from 'cloudevents';
import { EventDecodeError, EventValidationError } from './errors.js';
import {
  DATA_CONTENT_TYPE,
  STRUCTURED_CONTENT_TYPE,
  parseCloudEvent,
  structuredJson,
  toCloudEvent,
  type RimsCloudEvent,
} from './envelope.js';
import type { EventData } from './event-types.js';

/**
 * Envelope attributes copied to Pub/Sub attributes (as `ce-<name>`) so subscriptions can filter,
 * for example `attributes.ce-type = "rims.item.committed.v1"`, without reading the body.
 */
export const COPIED_ATTRIBUTES = ['id', 'type', 'source', 'subject', 'time', 'sequence'] as const;

/** The parts of a received Pub/Sub message the decoder reads (an `@google-cloud/pubsub` `Message` fits). */
export interface PubSubMessageLike {
  /** The body: bytes, or a base64 string as in the Pub/Sub REST and push formats. */
  readonly data?: Uint8Array | string | null;
  readonly attributes?: Readonly<Record<string, string>> | null;
}

/** What a producer hands to `topic.publishMessage`. */
export interface OutgoingPubSubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
}

/**
 * Encodes an event as a structured-mode CloudEvent Pub/Sub message, ordered by subject: the body is
 * the cloudevents SDK's structured JSON (so the SDK checks the spec), the ce-* attributes copied.
 *
 * @throws {EventValidationError} when the CloudEvents spec rejects an attribute (see {@link toCloudEvent})
 * @example
 * await topic.publishMessage(toPubSubMessage(event));
 */
export function toPubSubMessage(event: RimsCloudEvent): OutgoingPubSubMessage {
  // An SDK event (from buildCloudEvent) was checked when it was built; a plain object is checked now.
  const cloudEvent = event instanceof CloudEvent ? event : toCloudEvent(event);
  const attributes: Record<string, string> = { 'content-type': STRUCTURED_CONTENT_TYPE };
  for (const name of COPIED_ATTRIBUTES) attributes[`ce-${name}`] = event[name];
  return { data: Buffer.from(structuredJson(cloudEvent)), attributes, orderingKey: event.subject };
}

/**
 * Decodes a Pub/Sub message into a typed, validated RIMS event. Structured mode (body is the whole
 * CloudEvent, `content-type: application/cloudevents+json`) and binary mode (`ce-*` attributes,
 * body is `data`) are both accepted.
 *
 * @throws {EventDecodeError} when the message is not a CloudEvent at all
 * @throws {UnknownEventTypeError} for a type this version does not know (ack and skip it, usually)
 * @throws {EventValidationError} naming each invalid field
 * @example
 * subscription.on('message', (message) => {
 *   const event = decodePubSubMessage(message);
 *   if (event.type === 'rims.item.committed.v1') reserve(event.data.item_id, event.data.quantity);
 *   message.ack();
 * });
 */
export function decodePubSubMessage(message: PubSubMessageLike): RimsCloudEvent {
  const attributes = message.attributes ?? {};
  const body = bodyText(message.data);
  const contentType = attributes['content-type'] ?? attributes['Content-Type'];

  if (contentType?.startsWith('application/cloudevents') === true) {
    if (!contentType.startsWith(STRUCTURED_CONTENT_TYPE)) {
      throw new EventDecodeError(
        `content-type '${contentType}' is not supported; use ${STRUCTURED_CONTENT_TYPE}`,
      );
    }
    return parseCloudEvent(parseJson(body, 'message body'));
  }

  if (attributes['ce-specversion'] !== undefined) {
    const event: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (name.startsWith('ce-')) event[name.slice(3)] = value;
    }
    event.datacontenttype = contentType ?? DATA_CONTENT_TYPE;
    event.data = parseJson(body, 'data (binary-mode message body)');
    return parseCloudEvent(event);
  }

  // No CloudEvents attributes at all: accept a structured body published without them.
  const parsed = parseJson(body, 'message body');
  if (typeof parsed === 'object' && parsed !== null && 'specversion' in parsed)
    return parseCloudEvent(parsed);
  throw new EventDecodeError(
    `message has neither a content-type of ${STRUCTURED_CONTENT_TYPE} nor ce-* attributes, and its body is not a CloudEvent`,
  );
}

/**
 * Like {@link decodePubSubMessage}, but returns the event as a cloudevents SDK `CloudEvent`, for
 * consumers built on the SDK. Validated by @rims/schemas first, then by the SDK.
 *
 * @example
 * const event = decodePubSubMessageAsCloudEvent(message);
 * if (event.type === 'rims.item.committed.v1') console.log(event.subject, event.sequence);
 */
export function decodePubSubMessageAsCloudEvent(message: PubSubMessageLike): CloudEvent<EventData> {
  return toCloudEvent(decodePubSubMessage(message));
}

/** The outcome of {@link safeDecodePubSubMessage}. */
export type DecodeResult =
  | { readonly ok: true; readonly event: RimsCloudEvent }
  | { readonly ok: false; readonly error: EventValidationError };

/**
 * Like {@link decodePubSubMessage}, but returns the error instead of throwing: handy where invalid
 * messages are quarantined rather than failing the batch.
 */
export function safeDecodePubSubMessage(message: PubSubMessageLike): DecodeResult {
  try {
    return { ok: true, event: decodePubSubMessage(message) };
  } catch (error) {
    if (error instanceof EventValidationError) return { ok: false, error };
    throw error;
  }
}

function bodyText(data: Uint8Array | string | null | undefined): string {
  if (data === null || data === undefined) return '';
  if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EventDecodeError(`${what} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}
