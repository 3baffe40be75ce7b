/**
 * @rims/schemas: the single source of truth for RIMS item-commitment events.
 *
 * @example
 * // A consumer: the event is validated and typed by its `type`.
 * import { decodePubSubMessage } from '@rims/schemas';
 * const event = decodePubSubMessage(message);
 * if (event.type === 'rims.item.committed.v1') reserve(event.subject, event.data.quantity);
 *
 * @example
 * // A producer (the relay): stored fields to a checked structured-mode CloudEvent message.
 * import { encodeEvent } from '@rims/schemas';
 * await topic.publishMessage(encodeEvent(fields));
 */
export {
  RimsError,
  EventValidationError,
  UnknownEventTypeError,
  EventDecodeError,
  formatIssues,
  type ValidationIssue,
} from './errors.js';
export {
  eventCatalog,
  RIMS_EVENT_TYPES,
  ITEM_EVENT_TYPES,
  ITEM_STATUSES,
  STATUS_FROM_DATA,
  HEARTBEAT_EVENT_TYPE,
  HEARTBEAT_SUBJECT_PREFIX,
  isRimsEventType,
  statusOf,
  requiredWhenOf,
  expectedSubject,
  hasNoNul,
  type RimsEventType,
  type ItemEventType,
  type FixedStatusEventType,
  type RequiredWhen,
  type CatalogEntry,
  type SubjectRule,
  type PipelineHeartbeatV1,
  type ItemStatus,
  type EventData,
  type ItemCommittedV1,
  type ItemReleasedV1,
  type ItemFulfilledV1,
  type ItemCancelledV1,
  type ItemSnapshotV1,
} from './event-types.js';
export { isWellFormedText } from './lone-surrogates.js';
export {
  CLOUDEVENTS_SPECVERSION,
  DATA_CONTENT_TYPE,
  STRUCTURED_CONTENT_TYPE,
  cloudEventSchema,
  envelopeSchemaFor,
  parseCloudEvent,
  validateEventInput,
  buildCloudEvent,
  toCloudEvent,
  type RimsCloudEvent,
  type EventInput,
  type CloudEventFields,
} from './envelope.js';
export {
  COPIED_ATTRIBUTES,
  encodeEvent,
  toPubSubMessage,
  decodePubSubMessage,
  decodePubSubMessageAsCloudEvent,
  safeDecodePubSubMessage,
  type PubSubMessageLike,
  type OutgoingPubSubMessage,
  type DecodeResult,
} from './pubsub-message.js';
export { eventJsonSchema } from './json-schema.js';
export {
  rawItemEventsColumns,
  rawDataFields,
  bigQueryTypeOf,
  SUBSCRIPTION_METADATA_COLUMNS,
  type BigQueryColumn,
  type BigQueryType,
  type JsonSchemaProperty,
} from './bigquery-columns.js';
export { generatedArtifacts } from './generated-artifacts.js';
export { ConfigError, parseConfig, parseDuration, durationSchema, settingFlag } from './config.js';
export { within } from './within.js';
