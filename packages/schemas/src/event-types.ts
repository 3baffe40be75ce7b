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

const sku = identifier('Stock keeping unit of the item');
const quantity = z
  .int({ error: 'quantity must be a whole number' })
  .min(1, 'quantity must be at least 1')
  .describe('Units committed to the order');
const locationId = identifier('Location (store or warehouse) holding the item');

const committedShape = {
  item_id: itemId,
  order_id: orderId,
  sku,
  quantity,
  location_id: locationId,
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

/** The statuses an item can have, in DESIGN.md order. */
export const ITEM_STATUSES = ['committed', 'available', 'fulfilled', 'cancelled'] as const;

/** The status an item takes after an event of each type; see DESIGN.md "Resulting status". */
export type ItemStatus = (typeof ITEM_STATUSES)[number];

const snapshotShape = {
  item_id: itemId,
  status: z
    .enum(ITEM_STATUSES, { error: `status must be one of ${ITEM_STATUSES.join(', ')}` })
    .describe('The item status the application holds; the status the item takes'),
  order_id: orderId.optional(),
  sku: sku.optional(),
  quantity: quantity.optional(),
  location_id: locationId.optional(),
};

/**
 * The fields a snapshot requires for some statuses only (DESIGN.md): an available item belongs to
 * no order, and only a committed item holds a sku, a quantity and a location (the warehouse's state
 * keeps them for committed items only). Data, so the warehouse validation generated from the
 * catalogue checks the same rules (packages/merger/src/sql-generation).
 */
const snapshotRequiredWhen = {
  order_id: ['committed', 'fulfilled', 'cancelled'],
  sku: ['committed'],
  quantity: ['committed'],
  location_id: ['committed'],
} as const satisfies RequiredWhen;

/** Fields required only when `data.status` is one of the listed statuses. */
export type RequiredWhen = Readonly<Record<string, readonly ItemStatus[]>>;

const isItemStatus = (value: unknown): value is ItemStatus => ITEM_STATUSES.includes(value as ItemStatus);

/**
 * Adds the zod refinement enforcing `rules` to a data schema, with an issue naming the field and the
 * statuses that need it. It runs whenever `status` is valid, even when other fields are not, so a
 * producer sees every problem at once.
 */
function requiringWhenStatus<S extends z.ZodObject>(schema: S, rules: RequiredWhen): S {
  return schema.superRefine(
    (data, ctx) => {
      const fields = data as Record<string, unknown>;
      for (const [field, statuses] of Object.entries(rules)) {
        if (isItemStatus(fields.status) && statuses.includes(fields.status) && fields[field] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is required when status is ${statuses.join(' or ')}`,
            params: { rims: 'required_for_status' },
          });
        }
      }
    },
    {
      when: (payload) =>
        typeof payload.value === 'object' &&
        payload.value !== null &&
        isItemStatus((payload.value as { status?: unknown }).status),
    },
  );
}

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

/**
 * The catalogue's `status` of a type whose resulting status is its `data.status` (the snapshot)
 * rather than fixed by the type.
 */
export const STATUS_FROM_DATA = 'from-data';

/** What an event's subject must equal: `prefix` followed by the data field `field`. */
export interface SubjectRule {
  readonly field: string;
  readonly prefix: string;
}

const itemSubject: SubjectRule = { field: 'item_id', prefix: '' };

/** One entry of {@link eventCatalog}. */
export interface CatalogEntry {
  readonly description: string;
  readonly status: ItemStatus | typeof STATUS_FROM_DATA | null;
  readonly strict: z.ZodObject;
  readonly loose: z.ZodObject;
  readonly subject: SubjectRule;
  /** Data fields required only for some `data.status` values. */
  readonly requiredWhen?: RequiredWhen;
}

/**
 * Every event type RIMS emits, with its data schema, the rule its subject follows and the item
 * status it results in: fixed by the type, {@link STATUS_FROM_DATA} when `data.status` states it
 * (the snapshot), or `null` for a pipeline event, which is never an item and never in item state.
 * `requiredWhen` lists data fields required only for some `data.status` values.
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
  'rims.item.snapshot.v1': {
    description:
      'The whole state of an item as the application holds it: bootstraps items older than the outbox and re-asserts state so the warehouse can detect drift.',
    status: STATUS_FROM_DATA,
    strict: requiringWhenStatus(z.strictObject(snapshotShape), snapshotRequiredWhen),
    loose: requiringWhenStatus(z.looseObject(snapshotShape), snapshotRequiredWhen),
    subject: itemSubject,
    requiredWhen: snapshotRequiredWhen,
  },
  [HEARTBEAT_EVENT_TYPE]: {
    description: 'A relay replica is alive: it rides the pipeline so the warehouse can measure freshness.',
    status: null,
    strict: z.strictObject(heartbeatShape),
    loose: z.looseObject(heartbeatShape),
    subject: { field: 'replica', prefix: HEARTBEAT_SUBJECT_PREFIX },
  },
} as const satisfies Record<string, CatalogEntry>;

/** A CloudEvents `type` RIMS emits, such as `rims.item.committed.v1`. */
export type RimsEventType = keyof typeof eventCatalog;

/** All event types, in catalogue order. */
export const RIMS_EVENT_TYPES = Object.keys(eventCatalog) as readonly RimsEventType[];

/** An event type about an item: it has a resulting status and enters item tables. */
export type ItemEventType = {
  [K in RimsEventType]: (typeof eventCatalog)[K]['status'] extends null ? never : K;
}[RimsEventType];

/** An item event type whose resulting status is fixed by the type (every item type but the snapshot). */
export type FixedStatusEventType = {
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
/**
 * `data` of `rims.item.snapshot.v1`: the item's whole state at its sequence. `order_id` is optional
 * only when `status` is `available`; `sku`, `quantity` and `location_id` are required only when it
 * is `committed`.
 */
export type ItemSnapshotV1 = EventData<'rims.item.snapshot.v1'>;
/** `data` of `rims.pipeline.heartbeat.v1`: a relay replica is alive (`replica`, `sent_at`). */
export type PipelineHeartbeatV1 = EventData<'rims.pipeline.heartbeat.v1'>;

/** The fields `type` requires only for some `data.status` values (none for most types). */
export function requiredWhenOf(type: RimsEventType): RequiredWhen {
  const entry: CatalogEntry = eventCatalog[type];
  return entry.requiredWhen ?? {};
}

/** True when `type` is an event type this version knows. */
export function isRimsEventType(type: unknown): type is RimsEventType {
  return typeof type === 'string' && Object.hasOwn(eventCatalog, type);
}

/**
 * The item status an event results in: fixed by its type, or, for a snapshot, its `data.status`
 * (pass the event's `data` whenever the type is not known to be a {@link FixedStatusEventType}).
 *
 * @example statusOf('rims.item.released.v1') // 'available'
 * @example statusOf('rims.item.snapshot.v1', { item_id: 'i', status: 'fulfilled', order_id: 'o', sku: 's', quantity: 1 }) // 'fulfilled'
 */
export function statusOf(type: FixedStatusEventType): ItemStatus;
export function statusOf(type: ItemEventType, data: object): ItemStatus;
export function statusOf(type: ItemEventType, data?: object): ItemStatus {
  const status = eventCatalog[type].status;
  if (status !== STATUS_FROM_DATA) return status;
  const stated = (data as { status?: unknown } | undefined)?.status;
  if (!isItemStatus(stated)) {
    throw new TypeError(
      `${type} takes its status from data.status, which must be one of ${ITEM_STATUSES.join(', ')} (got ${JSON.stringify(stated)})`,
    );
  }
  return stated;
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
