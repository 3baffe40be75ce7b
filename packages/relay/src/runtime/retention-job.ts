import type { Logger } from 'pino';
import type { LeaseKeeper } from '../lease-keeper.js';
import type { RelayMetrics } from '../metrics.js';
import type { Queryable, RelaySql } from '../queries/index.js';
import { deletePublishedEvents } from '../retention.js';
import { periodic, type Service } from './service.js';

/**
 * Deletes published events past retention every `intervalMs`, on the replica holding lease
 * partition 0 only, so that one replica deletes at a time. Stops between statements at `stop()`.
 */
export function retentionJob(options: {
  readonly db: Queryable;
  readonly sql: RelaySql;
  readonly leases: LeaseKeeper;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly retentionMs: number;
  readonly intervalMs: number;
  readonly batchSize: number;
}): Service {
  const { db, sql, leases, metrics, logger } = options;
  let stopped = false;
  const job = periodic(options.intervalMs, async () => {
    if (!leases.publishable(0).includes(0)) return;
    try {
      const deleted = await deletePublishedEvents(db, sql.deletePublished, {
        retentionMs: options.retentionMs,
        batchSize: options.batchSize,
        shouldStop: () => stopped,
      });
      metrics.deleted.inc(deleted);
      if (deleted > 0) logger.info({ deleted }, 'deleted published events past retention');
    } catch (error) {
      logger.warn({ err: error }, 'retention failed; it runs again next interval');
    }
  });
  return {
    start: () => {
      job.start();
    },
    stop: () => {
      stopped = true;
      return job.stop();
    },
  };
}
