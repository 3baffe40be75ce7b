import pg from 'pg';
import type { Logger } from 'pino';
import { outboxWakeChannel } from '@rims/outbox';
import type { BackoffOptions } from '../backoff.js';
import type { RelaySettings } from '../config.js';
import { LeaseKeeper } from '../lease-keeper.js';
import { MarkQueue } from '../mark-queue.js';
import type { RelayMetrics } from '../metrics.js';
import { publishCallOptions } from '../publish-call-options.js';
import { outboxPort } from '../publishing/outbox-port.js';
import { PublishLoop } from '../publishing/publish-loop.js';
import { topicPort } from '../publishing/pubsub-port.js';
import { relayPubSubClient } from '../pubsub-client.js';
import type { RelaySql } from '../queries/index.js';
import type { RelayOptions } from '../relay-options.js';
import type { TracerLike } from '../telemetry.js';
import { WaitingMark } from '../waiting-mark.js';
import { WakeListener } from '../wake-listener.js';
import { backlogGauges } from './backlog-gauges.js';
import { heartbeatEvents } from './heartbeat-events.js';
import { LeaseHeartbeat } from './lease-heartbeat.js';
import { retentionJob } from './retention-job.js';
import { Runtime } from './runtime.js';
import { checkSchema } from './schema-check.js';

/** What every part of a relay shares, made once by `createRelay`. */
export interface BootContext {
  readonly settings: RelaySettings & { readonly replicaId: string };
  readonly options: RelayOptions;
  readonly schema: string;
  readonly sql: RelaySql;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly tracer: TracerLike;
  readonly backoff: BackoffOptions;
}

/**
 * Connects and assembles a relay: the pool (after checking the schema), the Pub/Sub client and
 * topic, leases, marks, the wake-up listener, the publish loop and the services beside it.
 * `share`: a fair share of the leases and NOTIFY wake-ups; `all` (`--once`): every free lease, no NOTIFY.
 *
 * @throws {RelaySchemaError} when the outbox schema is missing or behind (the pool is closed then)
 */
export async function bootRuntime(context: BootContext, mode: 'share' | 'all'): Promise<Runtime> {
  const { settings, options, schema, sql, logger, metrics, tracer, backoff } = context;
  const pool = new pg.Pool({
    connectionString: settings.databaseUrl,
    max: 6,
    application_name: `rims-relay ${settings.replicaId}`.slice(0, 63),
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    // A query that hangs (a network partition) must fail, so leases lapse and work stops cleanly.
    query_timeout: 30_000,
  });
  pool.on('error', (error) => {
    // An idle connection died (PostgreSQL restarted); the pool replaces it on next use.
    logger.warn({ err: error }, 'idle database connection lost');
  });
  try {
    await checkSchema(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }

  const pubsub = options.pubsub ?? relayPubSubClient(settings, backoff);
  const topic = pubsub.topic(settings.topic, {
    messageOrdering: true,
    batching: { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 1 },
    gaxOpts: publishCallOptions(settings.publishTimeoutMs),
  });

  const leases = new LeaseKeeper({
    db: pool,
    sql,
    replicaId: settings.replicaId,
    ttlMs: settings.leaseTtlMs,
    logger,
    mode,
  });
  const marks = new MarkQueue({ db: pool, statement: sql.markPublished, backoff, logger });
  // --once never waits for a wake-up, so it never asks writers to NOTIFY.
  const waiting =
    mode === 'share'
      ? new WaitingMark({
          db: pool,
          markStatement: sql.markWaiting,
          unmarkStatement: sql.unmarkWaiting,
          replicaId: settings.replicaId,
          logger,
          onChange: (marked) => {
            metrics.waiting.set(marked ? 1 : 0);
          },
        })
      : undefined;
  const listener = new WakeListener({
    connection: {
      connectionString: settings.databaseUrl,
      application_name: `rims-relay listen ${settings.replicaId}`.slice(0, 63),
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    },
    channel: outboxWakeChannel(schema),
    backoff,
    logger,
    onWake: () => {
      loop.notify();
    },
    onConnectedChange: (connected) => {
      metrics.listenerConnected.set(connected ? 1 : 0);
    },
  });
  const loop = new PublishLoop({
    outbox: outboxPort(pool, sql),
    pubsub: topicPort(topic),
    leases,
    marks,
    metrics,
    tracer,
    logger,
    topicName: settings.topic,
    batchSize: settings.batchSize,
    maxInFlight: settings.maxInFlight,
    pollIntervalMs: settings.pollIntervalMs,
    lingerMs: settings.lingerMs,
    idleAfterMs: settings.idleAfterMs,
    ...(waiting ? { waiting } : {}),
    listening: () => listener.connected,
    publishTimeoutMs: settings.publishTimeoutMs,
    maxAttempts: settings.maxAttempts,
    backoff,
    ...(options.onPublished ? { onPublished: options.onPublished } : {}),
    ...(options.onDead ? { onDead: options.onDead } : {}),
  });
  const heartbeat = new LeaseHeartbeat({
    leases,
    loop,
    metrics,
    logger,
    intervalMs: settings.heartbeatIntervalMs,
    publishTimeoutMs: settings.publishTimeoutMs,
    backoff,
  });
  return new Runtime({
    pool,
    pubsub,
    ownsPubSub: options.pubsub === undefined,
    leases,
    heartbeat,
    marks,
    loop,
    listener,
    services: [
      backlogGauges({ db: pool, sql, metrics, intervalMs: settings.statsIntervalMs }),
      retentionJob({
        db: pool,
        sql,
        leases,
        metrics,
        logger,
        retentionMs: settings.retentionMs,
        intervalMs: settings.retentionIntervalMs,
        batchSize: settings.retentionBatchSize,
      }),
      // A live relay only: a --once run is a batch job whose end says nothing about freshness.
      ...(mode === 'share' && settings.heartbeatEventIntervalMs > 0
        ? [
            heartbeatEvents({
              pool,
              schema,
              replicaId: settings.replicaId,
              intervalMs: settings.heartbeatEventIntervalMs,
              metrics,
              logger,
            }),
          ]
        : []),
    ],
    leaseTtlMs: settings.leaseTtlMs,
    logger,
  });
}
