import { CloudEvent, V1, ValidationError } from 'cloudevents';
import { z } from 'zod';
import {
  EventValidationError,
  UnknownEventTypeError,
  issuesFromZod,
  type ValidationIssue,
} from './errors.js';
import {
  RIMS_EVENT_TYPES,
  eventCatalog,
  expectedSubject,
  hasNoNul,
  isRimsEventType,
  type EventData,
  type RimsEventType,
} from './event-types.js';
import { loneSurrogateIssues } from './lone-surrogates.js';

/** The CloudEvents spec version RIMS events use (the cloudevents SDK's `V1`). */
export const CLOUDEVENTS_SPECVERSION = V1;
/** `datacontenttype` of every RIMS event: `data` is a JSON object. */
export const DATA_CONTENT_TYPE = 'application/json';
/** Pub/Sub `content-type` attribute of a structured-mode CloudEvent. */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

/** W3C trace context `traceparent`: version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[^\s]*)?$/;

/**
 * A RIMS event as a CloudEvent 1.0 in structured mode: the JSON object that travels in a Pub/Sub
 * message body and lands, field by field, in `rims_raw.item_events`.
 */
export type RimsCloudEvent<T extends RimsEventType = RimsEventType> = T extends RimsEventType
  ? {
      specversion: '1.0';
      /** Unique event id (a UUID); the deduplication key everywhere downstream. */
      id: string;
      /** Producer, as a URI reference such as `//rims/app`. */
      source: string;
      type: T;
      /** The item id; also the Pub/Sub ordering key. */
      subject: string;
      /** RFC 3339 time of the state change. */
      time: string;
      /** Per-subject sequence number 1, 2, 3 ... as a decimal string (CloudEvents sequence extension). */
      sequence: string;
      datacontenttype: 'application/json';
      data: EventData<T>;
      /** W3C trace context of the code that enqueued the event, when it had an active span. */
      traceparent?: string;
    }
  : never;

const envelopeFields = {
  specversion: z.literal(CLOUDEVENTS_SPECVERSION).describe('CloudEvents specification version'),
  id: z.string().min(1, 'id must not be empty').describe('Unique event id (UUID); deduplication key'),
  source: z
    .string()
    .min(1, 'source must not be empty')
    .describe('Producer of the event, a URI reference such as //rims/app'),
  subject: z
    .string()
    .min(1, 'subject must not be empty')
    .max(256, 'subject must be at most 256 characters')
    .refine(hasNoNul, 'subject must not contain the character U+0000, which PostgreSQL cannot store')
    .describe('The item id (heartbeat/<replica> for a pipeline heartbeat); Pub/Sub ordering key'),
  time: z.iso.datetime({ offset: true }).describe('RFC 3339 time of the state change'),
  sequence: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'sequence must be a positive decimal string such as "1"')
    .describe('Per-subject sequence number as a decimal string (CloudEvents sequence extension)'),
  datacontenttype: z.literal(DATA_CONTENT_TYPE).describe('Media type of data'),
  traceparent: z
    .string()
    .regex(TRACEPARENT, 'traceparent must be a W3C trace context header value')
    .optional()
    .describe('W3C trace context of the enqueuing code (CloudEvents distributed tracing extension)'),
};

/**
 * The envelope of one event type with the given data schema. Envelopes are loose (unknown
 * extension attributes are kept) so that an added optional extension never breaks a reader.
 */
export function envelopeSchemaFor<T extends RimsEventType>(type: T, mode: 'strict' | 'loose' = 'loose') {
  const { specversion, id, source, subject, time, sequence, datacontenttype, traceparent } = envelopeFields;
  // Field order here is the column order of rims_raw.item_events.
  return z.looseObject({
    specversion,
    id,
    source,
    type: z.literal(type).describe('CloudEvents type'),
    subject,
    time,
    sequence,
    datacontenttype,
    data: eventCatalog[type][mode].describe(eventCatalog[type].description),
    traceparent,
  });
}

const subjectMatchesItem = (
  event: { type: RimsEventType; subject: string; data: Record<string, unknown> },
  ctx: z.RefinementCtx,
) => {
  const expected = expectedSubject(event.type, event.data);
  if (event.subject === expected) return;
  const rule = eventCatalog[event.type].subject;
  ctx.addIssue({
    code: 'custom',
    path: ['subject'],
    message:
      rule.prefix === ''
        ? `subject '${event.subject}' must equal data.${rule.field} '${expected}' (the subject is the item the event is about)`
        : `subject '${event.subject}' must be '${expected}' (${rule.prefix} followed by data.${rule.field})`,
    params: { rims: 'subject_mismatch' },
  });
};

const loosePerType = RIMS_EVENT_TYPES.map((type) => envelopeSchemaFor(type, 'loose'));

/** Validates a decoded CloudEvent of any known type, as consumers receive it. */
export const cloudEventSchema = z
  .discriminatedUnion('type', loosePerType as unknown as [(typeof loosePerType)[0], ...typeof loosePerType])
  .superRefine(subjectMatchesItem);

/**
 * Validates an object as a RIMS CloudEvent and returns it typed.
 *
 * @throws {UnknownEventTypeError} when `type` is not a known type (for example a newer v2)
 * @throws {EventValidationError} naming each invalid field
 * @example
 * const event = parseCloudEvent(JSON.parse(body));
 * if (event.type === 'rims.item.committed.v1') console.log(event.data.quantity);
 */
export function parseCloudEvent(value: unknown): RimsCloudEvent {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && !isRimsEventType(type))
    throw new UnknownEventTypeError(type, RIMS_EVENT_TYPES);
  const result = cloudEventSchema.safeParse(value);
  if (!result.success) throw new EventValidationError(issuesFromZod(result.error));
  return result.data as RimsCloudEvent;
}

/** What application code passes to `outbox.enqueue`: the outbox adds id, source, sequence and time. */
export type EventInput<T extends RimsEventType = RimsEventType> = T extends RimsEventType
  ? {
      type: T;
      /** The item id; must equal `data.item_id`. */
      subject: string;
      data: EventData<T>;
      /** When the state change happened; defaults to the database clock at enqueue. */
      time?: Date | string;
    }
  : never;

/** A Date PostgreSQL and RFC 3339 can both hold: years 1 to 9999 (RFC 3339 has four-digit years). */
const inputDate = z
  .date({ error: 'time must be a valid Date or an RFC 3339 string' })
  .min(new Date('0001-01-01T00:00:00.000Z'), 'time must not be before the year 1')
  .max(new Date('9999-12-31T23:59:59.999Z'), 'time must not be after the year 9999');

const inputSchemas = new Map<RimsEventType, z.ZodType>(
  RIMS_EVENT_TYPES.map((type) => [
    type,
    z
      .strictObject({
        type: z.literal(type),
        subject: envelopeFields.subject,
        data: eventCatalog[type].strict,
        time: z.union([inputDate, z.iso.datetime({ offset: true })]).optional(),
      })
      .superRefine(subjectMatchesItem),
  ]),
);

/**
 * Validates what a producer wants to emit, collecting every problem rather than stopping at the first.
 * Paths are prefixed with `prefix`, so `[3].data.quantity` names the fourth event of a batch.
 * Besides each type's schema, every string must be well-formed UTF-16 (code `lone_surrogate`):
 * PostgreSQL and JSON text cannot hold half a surrogate pair.
 */
export function validateEventInput(value: unknown, prefix = ''): ValidationIssue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      { path: prefix, code: 'invalid_type', message: 'an event must be an object { type, subject, data }' },
    ];
  }
  const type = (value as { type?: unknown }).type;
  if (!isRimsEventType(type)) {
    return [
      {
        path: prefix === '' ? 'type' : `${prefix}.type`,
        code: 'unknown_type',
        message: `${typeof type === 'string' ? `'${type}'` : typeof type} is not a RIMS event type; use one of ${RIMS_EVENT_TYPES.join(', ')}`,
      },
    ];
  }
  const schema = inputSchemas.get(type);
  if (!schema) throw new Error(`no input schema for ${type}`);
  const result = schema.safeParse(value);
  return [
    ...(result.success ? [] : issuesFromZod(result.error, prefix)),
    ...loneSurrogateIssues(value, prefix),
  ];
}

/** The fields a producer (the relay) has from storage, turned into an envelope. */
export interface CloudEventFields<T extends RimsEventType = RimsEventType> {
  id: string;
  source: string;
  type: T;
  subject: string;
  time: Date | string;
  sequence: number | bigint | string;
  data: EventData<T>;
  traceparent?: string | null;
}

/**
 * Builds the CloudEvent for stored event fields with the cloudevents SDK, which checks it against
 * the CloudEvents 1.0 spec (required attributes, attribute and extension names, value types). It
 * does not check the RIMS catalogue; call {@link parseCloudEvent} where input is not already trusted.
 *
 * @throws {EventValidationError} (code `cloudevents_spec` per issue) when the spec rejects an attribute
 * @example
 * import { randomUUID } from 'node:crypto';
 * import { buildCloudEvent } from '@rims/schemas';
 * const event = buildCloudEvent({ id: randomUUID(), source: '//rims/app', type: 'rims.item.released.v1',
 *   subject: 'item-1', time: new Date(), sequence: 2,
 *   data: { item_id: 'item-1', order_id: 'o-9', reason: 'timeout' } });
 */
export function buildCloudEvent<T extends RimsEventType>(
  fields: CloudEventFields<T>,
): RimsCloudEvent<T> & CloudEvent<EventData<T>> {
  return toCloudEvent(envelopeOf(fields)) as RimsCloudEvent<T> & CloudEvent<EventData<T>>;
}

/**
 * Stored event fields as a plain RIMS envelope, unchecked: time as RFC 3339, sequence as a decimal
 * string, no traceparent when there is none. Attribute order is the one buildCloudEvent has always
 * handed the SDK, which decides the order of extensions in the encoded JSON.
 */
export function envelopeOf<T extends RimsEventType>(fields: CloudEventFields<T>): RimsCloudEvent<T> {
  return {
    specversion: CLOUDEVENTS_SPECVERSION,
    id: fields.id,
    source: fields.source,
    type: fields.type,
    subject: fields.subject,
    time: fields.time instanceof Date ? fields.time.toISOString() : fields.time,
    sequence: String(fields.sequence),
    datacontenttype: DATA_CONTENT_TYPE,
    data: fields.data,
    ...(fields.traceparent ? { traceparent: fields.traceparent } : {}),
  } as RimsCloudEvent<T>;
}

/**
 * A RIMS event as a cloudevents SDK `CloudEvent` (for code built on the SDK: its HTTP and Kafka
 * bindings, `cloneWith`, `emit`), checked by the SDK against the CloudEvents 1.0 spec.
 *
 * @throws {EventValidationError} (code `cloudevents_spec` per issue) when the spec rejects an attribute
 * @example
 * import { decodePubSubMessage, toCloudEvent } from '@rims/schemas';
 * const cloudEvent = toCloudEvent(decodePubSubMessage(message));
 * console.log(cloudEvent.sequence, cloudEvent.data);
 */
export function toCloudEvent<T extends RimsEventType>(event: RimsCloudEvent<T>): CloudEvent<EventData<T>> {
  // The SDK takes every attribute it does not know as an extension and refuses an undefined one.
  const attributes = Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined));
  try {
    return new CloudEvent<EventData<T>>(attributes, true);
  } catch (error) {
    if (error instanceof ValidationError) throw new EventValidationError(specIssues(error), { cause: error });
    throw error;
  }
}

/** The SDK's validation errors as issues naming the attribute (ajv's instance path, or the message). */
function specIssues(error: ValidationError): ValidationIssue[] {
  const found = (error.errors ?? []).map((problem) =>
    typeof problem === 'string'
      ? { path: '', message: problem, code: 'cloudevents_spec' }
      : {
          path: problem.instancePath.replace(/^\//, '').replaceAll('/', '.'),
          message: `${problem.instancePath.replace(/^\//, '') || 'event'} ${problem.message ?? 'is invalid'} (CloudEvents 1.0)`,
          code: 'cloudevents_spec',
        },
  );
  return found.length > 0 ? found : [{ path: '', message: error.message, code: 'cloudevents_spec' }];
}

/**
 * The structured-mode JSON text of an SDK event, with `time` exactly as the event holds it: the
 * SDK's own `toJSON` re-renders time through a JavaScript Date, which would cut PostgreSQL's
 * microseconds to milliseconds (and turn an offset into `Z`).
 */
export function structuredJson(event: CloudEvent<unknown>): string {
  return JSON.stringify({ ...event.toJSON(), time: event.time });
}
