/**
 * @rims/relay: publishes the RIMS outbox to Google Pub/Sub as CloudEvents, in order per item, at
 * least once, with several replicas sharing the work through leases in PostgreSQL.
 *
 * @example
 * import { createRelay } from '@rims/relay';
 * const relay = createRelay({ databaseUrl, topic: 'rims-item-events', http: { port: 9464 } });
 * await relay.start();
 * process.once('SIGTERM', () => void relay.stop({ timeout: 8_000 }));
 */

export { createRelay, type Relay, type RelayOptions, type RunOnceResult, type StopResult } from './relay.js';
export type { PublishedEvent, ParkedEvent } from './publishing/publish-loop.js';
export type { RemainingPartition } from './publishing/outbox-port.js';
export type { HealthReport } from './http-server.js';
export { listDeadEvents, retryDeadEvents, type DeadEvent, type DeadEventOptions } from './dead-events.js';
export { replayEvents, type ReplayOptions, type ReplayResult } from './replay.js';
export {
  RELAY_DEFAULTS,
  relayConfigSchema,
  loadRelayConfig,
  relayOptionsFrom,
  flagOf,
  type RelayConfig,
} from './config.js';
export { eventMessage, PUBSUB_LIMITS } from './event-message.js';
export { classifyFailure, type FailureKind } from './failure-kind.js';
export { fairShare, LEASE_PARTITIONS } from './lease-keeper.js';
export { noopTracer, type TracerLike, type SpanLike, type SpanContextLike } from './telemetry.js';
export type { Queryable, PendingRow } from './queries/index.js';
export {
  RelayConfigError,
  RelaySchemaError,
  RelayStateError,
  UnpublishableEventError,
  DeadEventNotFoundError,
  ReplicaIdInUseError,
} from './errors.js';
