import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The relay's Prometheus metrics, on a registry of its own (several relays can share a process). */
export interface RelayMetrics {
  readonly registry: Registry;
  readonly published: Counter;
  readonly publishSeconds: Histogram;
  readonly retries: Counter<'kind'>;
  readonly parkedDead: Counter;
  readonly deleted: Counter;
  readonly backlog: Gauge;
  readonly oldestPendingSeconds: Gauge;
  readonly dead: Gauge;
  readonly outboxLiveRows: Gauge;
  readonly outboxDeadRows: Gauge;
  readonly outboxTableBytes: Gauge;
  readonly leasesHeld: Gauge;
  readonly inFlight: Gauge;
  readonly requestWindow: Gauge;
  readonly listenerConnected: Gauge;
  readonly waiting: Gauge;
  readonly heartbeatPublishLagSeconds: Gauge;
  readonly heartbeatsEnqueued: Counter;
  readonly statements: Counter<'statement'>;
}

/**
 * Creates the metrics. `process: true` adds the standard process and Node.js metrics (CPU, memory,
 * event-loop lag): the binary turns it on; a library user usually has their own.
 */
export function createRelayMetrics(options: { process?: boolean } = {}): RelayMetrics {
  const registry = new Registry();
  if (options.process === true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    published: new Counter({
      name: 'rims_relay_events_published_total',
      help: 'Events Pub/Sub accepted from this replica.',
      registers,
    }),
    publishSeconds: new Histogram({
      name: 'rims_relay_publish_duration_seconds',
      help: 'Time from handing a batch of a subject to the Pub/Sub client to its acknowledgement.',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    retries: new Counter({
      name: 'rims_relay_publish_retries_total',
      help: 'Failed publish attempts of an event, each followed by a retry or, at the last permitted attempt of a permanent failure, by parking it dead; by kind (permanent or systemic).',
      labelNames: ['kind'],
      registers,
    }),
    parkedDead: new Counter({
      name: 'rims_relay_events_parked_dead_total',
      help: 'Events this replica parked as dead after their last permitted attempt.',
      registers,
    }),
    deleted: new Counter({
      name: 'rims_relay_events_deleted_total',
      help: 'Published events deleted by retention.',
      registers,
    }),
    backlog: new Gauge({
      name: 'rims_relay_backlog_events',
      help: 'Events waiting to be published (all replicas; capped at the backlog count cap).',
      registers,
    }),
    oldestPendingSeconds: new Gauge({
      name: 'rims_relay_oldest_pending_age_seconds',
      help: 'Age of the oldest event waiting to be published, by its event time; 0 when none waits.',
      registers,
    }),
    dead: new Gauge({
      name: 'rims_relay_dead_events',
      help: 'Events parked as dead, waiting for `rims-relay dead retry`.',
      registers,
    }),
    outboxLiveRows: new Gauge({
      name: 'rims_relay_outbox_live_rows',
      help: "Live row versions in the outbox's events table, by PostgreSQL's statistics (n_live_tup).",
      registers,
    }),
    outboxDeadRows: new Gauge({
      name: 'rims_relay_outbox_dead_rows',
      help: "Dead row versions in the outbox's events table that vacuum has not yet reclaimed, by PostgreSQL's statistics (n_dead_tup). Each published event leaves two; staying above the live rows means vacuum is falling behind or held back.",
      registers,
    }),
    outboxTableBytes: new Gauge({
      name: 'rims_relay_outbox_table_bytes',
      help: "Size of the outbox's events table with its indexes and TOAST (pg_total_relation_size).",
      registers,
    }),
    leasesHeld: new Gauge({
      name: 'rims_relay_leases_held',
      help: 'Subject partitions (of 64) this replica holds.',
      registers,
    }),
    inFlight: new Gauge({
      name: 'rims_relay_in_flight_events',
      help: 'Events handed to Pub/Sub and not yet recorded as published.',
      registers,
    }),
    requestWindow: new Gauge({
      name: 'rims_relay_publish_request_window',
      help: 'Publish requests (subject batches) this replica lets be in flight: +Inf until Pub/Sub fails systemically; then halved by a failure (down to 1 when nothing was accepted since the last cut) and grown back as requests are accepted.',
      registers,
    }),
    listenerConnected: new Gauge({
      name: 'rims_relay_listener_connected',
      help: '1 while the LISTEN connection for commit wake-ups is up; 0 while the relay relies on polling.',
      registers,
    }),
    waiting: new Gauge({
      name: 'rims_relay_waiting_for_wakeup',
      help: '1 while this replica is idle and has asked writers to NOTIFY at commit (relay_waiting); 0 while it is busy or lingering, when writers do not notify.',
      registers,
    }),
    heartbeatPublishLagSeconds: new Gauge({
      name: 'rims_relay_heartbeat_commit_to_publish_seconds',
      help: 'Commit-to-publish lag of the newest rims.pipeline.heartbeat.v1 event this replica published: from its sent_at (set as its outbox transaction commits) to the Pub/Sub acknowledgement.',
      registers,
    }),
    heartbeatsEnqueued: new Counter({
      name: 'rims_relay_heartbeat_events_enqueued_total',
      help: 'rims.pipeline.heartbeat.v1 events this replica enqueued through the outbox.',
      registers,
    }),
    statements: new Counter({
      name: 'rims_relay_db_statements_total',
      help: 'Statements this replica sent to PostgreSQL (each one round trip), by SQL file: fetch-pending, mark-published, ...',
      labelNames: ['statement'],
      registers,
    }),
  };
}
