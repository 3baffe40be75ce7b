import { Buffer } from 'node:buffer';
import { CloudEvent } from 'cloudevents';
import { EventDecodeError, EventValidationError } from './errors.js';
import {
  DATA_CONTENT_TYPE,
  STRUCTURED_CONTENT_TYPE,
  envelopeOf,
  parseCloudEvent,
  structuredJson,
  toCloudEvent,
  type CloudEventFields,
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
  return {
    data: Buffer.from(structuredJson(cloudEvent)),
    attributes: copiedAttributes(event),
    orderingKey: event.subject,
  };
}

/** Sources the cloudevents SDK accepted (see {@link encodeEvent}); few, as they name producers. */
const specCheckedSources = new Set<string>();
const MAX_SPEC_CHECKED_SOURCES = 1_000;

/**
 * Stored event fields to their Pub/Sub message, checked against the event catalogue and the
 * CloudEvents spec: the same checks as `parseCloudEvent(buildCloudEvent(fields))` and the same bytes
 * as `toPubSubMessage(buildCloudEvent(fields))`, at about 60 % of their CPU (bench/event-encoding).
 * The relay's path, once per event. One difference: an empty `id` or `time` is refused, where the
 * SDK replaced it with a new UUID or the current time.
 *
 * Why it skips the SDK: building an SDK event copies and deletes attributes one by one and runs
 * its JSON-schema check, about 4 to 7 µs an event, while the catalogue's rules are stricter than the
 * spec's for every attribute but `source` (the spec wants a URI reference; the catalogue only a
 * non-empty string). So the SDK checks the first event of each source, and events of a source it
 * accepted need the catalogue only. encode-event.test.ts checks both claims on random events.
 *
 * @throws {UnknownEventTypeError} when `type` is not in the catalogue
 * @throws {EventValidationError} naming each invalid field
 * @example
 * import { randomUUID } from 'node:crypto';
 * import { encodeEvent } from '@rims/schemas';
 * await topic.publishMessage(encodeEvent({ id: randomUUID(), source: '//rims/app',
 *   type: 'rims.item.released.v1', subject: 'item-1', time: new Date(), sequence: 2,
 *   data: { item_id: 'item-1', order_id: 'o-9', reason: 'timeout' } }));
 */
export function encodeEvent(fields: CloudEventFields): OutgoingPubSubMessage {
  const event = envelopeOf(fields);
  parseCloudEvent(event);
  if (!specCheckedSources.has(event.source)) {
    toCloudEvent(event);
    if (specCheckedSources.size < MAX_SPEC_CHECKED_SOURCES) specCheckedSources.add(event.source);
  }
  return {
    data: Buffer.from(envelopeJson(event)),
    attributes: copiedAttributes(event),
    orderingKey: event.subject,
  };
}

/**
 * The structured JSON of an envelope built by envelopeOf, byte for byte what structuredJson gives
 * for its SDK event: the SDK's own attributes in the order its constructor sets them, then data,
 * then the extensions in the order envelopeOf lists them (an absent traceparent is left out).
 */
function envelopeJson(event: RimsCloudEvent): string {
  return JSON.stringify({
    id: event.id,
    time: event.time,
    type: event.type,
    source: event.source,
    specversion: event.specversion,
    datacontenttype: event.datacontenttype,
    subject: event.subject,
    data: event.data,
    sequence: event.sequence,
    traceparent: event.traceparent,
  });
}

function copiedAttributes(event: RimsCloudEvent): Record<string, string> {
  const attributes: Record<string, string> = { 'content-type': STRUCTURED_CONTENT_TYPE };
  for (const name of COPIED_ATTRIBUTES) attributes[`ce-${name}`] = event[name];
  return attributes;
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
