import type { RelayMetrics } from '../metrics.js';
import type { Queryable, RelaySql } from '../queries/index.js';
import { periodic, type Service } from './service.js';

/** Counts are capped here so that a huge backlog stays cheap to measure. */
const COUNT_CAP = 1_000_000;

/**
 * Measures the backlog (pending events, age of the oldest, dead events) and the events table
 * (live and dead row versions, size) into the gauges every `intervalMs`. A failed measurement
 * keeps the last values: the lease heartbeat reports database trouble.
 */
export function backlogGauges(options: {
  readonly db: Queryable;
  readonly sql: RelaySql;
  readonly metrics: RelayMetrics;
  readonly intervalMs: number;
}): Service {
  const { db, sql, metrics } = options;
  return periodic(
    options.intervalMs,
    async () => {
      try {
        const row = (await sql.backlogStats.run(db, [COUNT_CAP])).rows[0];
        if (!row) return;
        metrics.backlog.set(Number(row.pending));
        metrics.oldestPendingSeconds.set(Math.max(0, Number(row.oldest_pending_seconds ?? 0)));
        metrics.dead.set(Number(row.dead));
        metrics.outboxLiveRows.set(Number(row.live_rows));
        metrics.outboxDeadRows.set(Number(row.dead_rows));
        metrics.outboxTableBytes.set(Number(row.table_bytes));
      } catch {
        // Kept: the last values.
      }
    },
    { immediately: true },
  );
}
