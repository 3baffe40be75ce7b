import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { createOutbox } from '@rims/outbox';
import { HEARTBEAT_EVENT_TYPE, HEARTBEAT_SUBJECT_PREFIX } from '@rims/schemas';
import type { RelayMetrics } from '../metrics.js';
import { periodic, type Service } from './service.js';

/** CloudEvents `source` of the heartbeats a relay enqueues. */
export const HEARTBEAT_SOURCE = '//rims/relay';

/**
 * Enqueues one `rims.pipeline.heartbeat.v1` event (subject `heartbeat/<replica id>`) through the
 * outbox every `intervalMs`. It travels the same way as item events (outbox, relay, topic,
 * subscription, raw table, merge), so its age in `rims_core.pipeline_heartbeats` says how far the
 * warehouse is behind PostgreSQL even when no item changes. A failure is logged and the next
 * interval tries again: the missing heartbeat is itself the alert.
 */
export function heartbeatEvents(options: {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly replicaId: string;
  readonly intervalMs: number;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
}): Service {
  const { pool, schema, replicaId, metrics, logger } = options;
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  // No trace context: a heartbeat is not part of any request.
  const outbox = createOutbox({ source: HEARTBEAT_SOURCE, schema, traceContext: false });
  return periodic(options.intervalMs, async () => {
    try {
      await db.transaction().execute(async (trx) => {
        // Taken inside the transaction, just before it commits: the enqueue (commit) time.
        const sentAt = new Date();
        await outbox.enqueue(trx, {
          type: HEARTBEAT_EVENT_TYPE,
          subject: `${HEARTBEAT_SUBJECT_PREFIX}${replicaId}`,
          data: { replica: replicaId, sent_at: sentAt.toISOString() },
          time: sentAt,
        });
      });
      metrics.heartbeatsEnqueued.inc();
    } catch (error) {
      logger.warn({ err: error }, 'enqueuing the heartbeat event failed; the next interval tries again');
    }
  });
}
