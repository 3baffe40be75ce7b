import { z } from 'zod';

/**
 * Whether `text` is free of U+0000: PostgreSQL text and jsonb cannot hold it, so a value with it
 * must be refused here, by name, rather than fail in the database.
 */
export const hasNoNul = (text: string): boolean => !text.includes('\u0000');

/**
 * Identifiers are at most 256 characters: an item id is also the Pub/Sub ordering key and the
 * `ce-subject` attribute, both limited to 1,024 bytes, and 256 characters never exceed that in UTF-8.
 */
const identifier = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(256, `${what} must be at most 256 characters`)
    .refine(hasNoNul, `${what} must not contain the character U+0000, which PostgreSQL cannot store`)
    .describe(what);

const itemId = identifier('The RIMS item id; equals the CloudEvent subject');
const orderId = identifier('The order the item is (or was) committed to');

const committedShape = {
  item_id: itemId,
  order_id: orderId,
  sku: identifier('Stock keeping unit of the item'),
  quantity: z
    .int({ error: 'quantity must be a whole number' })
    .min(1, 'quantity must be at least 1')
    .describe('Units committed to the order'),
  location_id: identifier('Location (store or warehouse) holding the item'),
};

const releasedShape = {
  item_id: itemId,
  order_id: orderId,
  reason: identifier('Why the commitment was released'),
};

const fulfilledShape = {
  item_id: itemId,
  order_id: orderId,
  shipment_id: identifier('Shipment that fulfilled the order line, when known').optional(),
};

const cancelledShape = {
  item_id: itemId,
  order_id: orderId,
  reason: identifier('Why the order line was cancelled'),
};

const heartbeatShape = {
  replica: identifier('The relay replica that enqueued the heartbeat; the subject is heartbeat/<replica>'),
  sent_at: z.iso
    .datetime({ offset: true })
    .describe('RFC 3339 time the relay enqueued the heartbeat (its PostgreSQL commit, to the clock)'),
};

/** The subject prefix of a pipeline heartbeat: its subject is `heartbeat/<replica id>`. */
export const HEARTBEAT_SUBJECT_PREFIX = 'heartbeat/';
/** The CloudEvents type of the pipeline heartbeat each relay enqueues. */
export const HEARTBEAT_EVENT_TYPE = 'rims.pipeline.heartbeat.v1';

/** The status an item takes after an event of each type; see DESIGN.md "Resulting status". */
export type ItemStatus = 'committed' | 'available' | 'fulfilled' | 'cancelled';

/** What an event's subject must equal: `prefix` followed by the data field `field`. */
export interface SubjectRule {
  readonly field: string;
  readonly prefix: string;
}

const itemSubject: SubjectRule = { field: 'item_id', prefix: '' };

/**
 * Every event type RIMS emits, with its data schema, the rule its subject follows and the item
 * status it results in (`null` for a pipeline event, which is never an item and never in item state).
 *
 * `strict` schemas reject unknown fields (for producers, so typos fail fast); `loose` schemas keep
 * them (for consumers, so an additive change never breaks an older reader; see VERSIONING.md).
 */
export const eventCatalog = {
  'rims.item.committed.v1': {
    description: 'An item was committed (reserved) to an order line.',
    status: 'committed',
    strict: z.strictObject(committedShape),
    loose: z.looseObject(committedShape),
    subject: itemSubject,
  },
  'rims.item.released.v1': {
    description: 'A commitment was released; the item is available again.',
    status: 'available',
    strict: z.strictObject(releasedShape),
    loose: z.looseObject(releasedShape),
    subject: itemSubject,
  },
  'rims.item.fulfilled.v1': {
    description: 'The order line holding the item was fulfilled (shipped or picked up).',
    status: 'fulfilled',
    strict: z.strictObject(fulfilledShape),
    loose: z.looseObject(fulfilledShape),
    subject: itemSubject,
  },
  'rims.item.cancelled.v1': {
    description: 'The order line holding the item was cancelled.',
    status: 'cancelled',
    strict: z.strictObject(cancelledShape),
    loose: z.looseObject(cancelledShape),
    subject: itemSubject,
  },
  [HEARTBEAT_EVENT_TYPE]: {
    description: 'A relay replica is alive: it rides the pipeline so the warehouse can measure freshness.',
    status: null,
    strict: z.strictObject(heartbeatShape),
    loose: z.looseObject(heartbeatShape),
    subject: { field: 'replica', prefix: HEARTBEAT_SUBJECT_PREFIX },
  },
} as const satisfies Record<
  string,
  {
    description: string;
    status: ItemStatus | null;
    strict: z.ZodObject;
    loose: z.ZodObject;
    subject: SubjectRule;
  }
>;

/** A CloudEvents `type` RIMS emits, such as `rims.item.committed.v1`. */
export type RimsEventType = keyof typeof eventCatalog;

/** All event types, in catalogue order. */
export const RIMS_EVENT_TYPES = Object.keys(eventCatalog) as readonly RimsEventType[];

/** An event type about an item: it has a resulting status and enters item tables. */
export type ItemEventType = {
  [K in RimsEventType]: (typeof eventCatalog)[K]['status'] extends ItemStatus ? K : never;
}[RimsEventType];

/** The item event types, in catalogue order (every type but the pipeline heartbeat). */
export const ITEM_EVENT_TYPES = RIMS_EVENT_TYPES.filter(
  (type): type is ItemEventType => eventCatalog[type].status !== null,
);

/** The `data` payload of each event type, as producers write it. */
export type EventData<T extends RimsEventType = RimsEventType> = T extends RimsEventType
  ? z.infer<(typeof eventCatalog)[T]['strict']>
  : never;

/** `data` of `rims.item.committed.v1`: the item was committed (reserved) to an order line. */
export type ItemCommittedV1 = EventData<'rims.item.committed.v1'>;
/** `data` of `rims.item.released.v1`: the commitment was released; the item is available again. */
export type ItemReleasedV1 = EventData<'rims.item.released.v1'>;
/** `data` of `rims.item.fulfilled.v1`: the order line holding the item was fulfilled. */
export type ItemFulfilledV1 = EventData<'rims.item.fulfilled.v1'>;
/** `data` of `rims.item.cancelled.v1`: the order line holding the item was cancelled. */
export type ItemCancelledV1 = EventData<'rims.item.cancelled.v1'>;
/** `data` of `rims.pipeline.heartbeat.v1`: a relay replica is alive (`replica`, `sent_at`). */
export type PipelineHeartbeatV1 = EventData<'rims.pipeline.heartbeat.v1'>;

/** True when `type` is an event type this version knows. */
export function isRimsEventType(type: unknown): type is RimsEventType {
  return typeof type === 'string' && Object.hasOwn(eventCatalog, type);
}

/**
 * The item status an event type results in.
 *
 * @example statusOf('rims.item.released.v1') // 'available'
 */
export function statusOf(type: ItemEventType): ItemStatus {
  return eventCatalog[type].status;
}

/**
 * The subject an event of `type` with `data` must have: the item id, or `heartbeat/<replica>`.
 *
 * @example expectedSubject('rims.pipeline.heartbeat.v1', { replica: 'r1' }) // 'heartbeat/r1'
 */
export function expectedSubject(type: RimsEventType, data: Record<string, unknown>): string {
  const rule: SubjectRule = eventCatalog[type].subject;
  return `${rule.prefix}${String(data[rule.field])}`;
}
