import type { PubSub } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import type { ParkedEvent, PublishedEvent } from './publishing/publish-loop.js';
import type { TracerLike } from './telemetry.js';

/**
 * Options of `createRelay`. Every setting has a default that works locally: the defaults, the rules and the environment
 * variables of the settings are stated once, in config.ts. A setting given as `undefined` takes its default, so a
 * value read from the environment can be passed as it is.
 *
 * @example const options: RelayOptions = { databaseUrl, topic: 'rims-item-events', leaseTtlMs: 15_000 };
 */
export interface RelayOptions {
  /** PostgreSQL holding the outbox; default `postgres://postgres@127.0.0.1:5432/postgres`. */
  databaseUrl?: string | undefined;
  /**
   * A Pub/Sub client to publish with (the relay does not close it). Default: one made from the next
   * two, whose reconnect backoff is capped at `backoffMaxMs`; give yours
   * `'grpc.max_reconnect_backoff_ms'` too, or it may wait up to 120 s to reconnect after an outage.
   */
  pubsub?: PubSub;
  /** Google Cloud project of the topic; default `rims-local` (works with the emulator). */
  projectId?: string | undefined;
  /** `host:port` of the Pub/Sub emulator; unset in production. */
  emulatorHost?: string | undefined;
  /** Topic to publish to; default `rims-item-events`. */
  topic?: string | undefined;
  /** Schema of the outbox tables; default `rims_outbox`. */
  schema?: string | undefined;
  /** Pending events read per query; default 5,000. */
  batchSize?: number | undefined;
  /** Most events handed to Pub/Sub and not yet recorded, across subjects; default 40,000. */
  maxInFlight?: number | undefined;
  /** How often to look for work without a wake-up (NOTIFY); default 1,000 ms. */
  pollIntervalMs?: number | undefined;
  /** While active, how soon to look again after a fetch found less than a full batch; default 5 ms. */
  lingerMs?: number | undefined;
  /**
   * How long without work before the relay asks writers to NOTIFY (marks itself waiting) and waits for
   * a wake-up; default 50 ms. 0: never linger, and stay marked while working, so writers always NOTIFY.
   */
  idleAfterMs?: number | undefined;
  /** How long a lease lasts without renewal: a dead replica's share is taken over after this; default 10,000 ms. */
  leaseTtlMs?: number | undefined;
  /** How often the replica heartbeats, renews and rebalances its leases; default 2,000 ms. */
  heartbeatIntervalMs?: number | undefined;
  /**
   * How often the replica enqueues a `rims.pipeline.heartbeat.v1` event (subject `heartbeat/<replica id>`)
   * through the outbox, for end-to-end freshness; default 30,000 ms; 0 sends none. `runOnce()` sends none.
   */
  heartbeatEventIntervalMs?: number | undefined;
  /** Deadline of one publish request, client retries included; default 4,000 ms. */
  publishTimeoutMs?: number | undefined;
  /** Attempts of an event that fails permanently before it is parked as dead; default 5. */
  maxAttempts?: number | undefined;
  /** First retry delay after a failure (doubles each time, with jitter); default 100 ms. */
  backoffInitialMs?: number | undefined;
  /** Longest retry delay, Pub/Sub reconnects included; default 30,000 ms. */
  backoffMaxMs?: number | undefined;
  /** Published events are deleted this long after publishing; default 1 day. */
  retentionMs?: number | undefined;
  /** How often retention runs; default 60,000 ms. */
  retentionIntervalMs?: number | undefined;
  /** Events deleted per retention statement; default 1,000. */
  retentionBatchSize?: number | undefined;
  /** How often the backlog and dead-event gauges are measured; default 5,000 ms. */
  statsIntervalMs?: number | undefined;
  /** How long `runOnce()` may take before it gives up and reports what is left; default 120,000 ms. */
  onceTimeoutMs?: number | undefined;
  /** How long `stop()` (and the end of `runOnce()`) waits for in-flight publishes; default 8,000 ms. */
  shutdownTimeoutMs?: number | undefined;
  /** This replica's id in the lease tables; default `<hostname>-<pid>-<random>`. */
  replicaId?: string | undefined;
  /** Serve /healthz, /readyz and /metrics; default: no HTTP server. `port: 0` picks a free port. */
  http?: { port: number; host?: string };
  /** JSON logger; default pino at level info on stdout. */
  logger?: Logger;
  /** An OpenTelemetry tracer (`trace.getTracer('rims-relay')`); default: no tracing. */
  tracer?: TracerLike;
  /** Also export process and Node.js metrics; default false (the binary turns it on). */
  processMetrics?: boolean;
  /** Called with the events of each publish Pub/Sub accepted, before they are recorded. */
  onPublished?: (events: readonly PublishedEvent[]) => void;
  /** Called for each event parked as dead. */
  onDead?: (event: ParkedEvent) => void;
}
