import type { PendingRow, Queryable, RelaySql } from '../queries.js';
import type { FetchPlan, RecordedFailure } from './publish-scheduler.js';

/** A partition `--once` still waits for (once-remaining.sql). */
export interface RemainingPartition {
  readonly lease_partition: number;
  readonly pending: string;
  /** The replica holding its lease, if any, and until when. */
  readonly owner: string | null;
  readonly expires_at: string | null;
}

/**
 * The publish loop's view of PostgreSQL: one typed method per statement it runs.
 *
 * @example const rows = await outboxPort(pool, relaySql('rims_outbox')).fetchPending(plan, MAX_POSITION);
 */
export interface OutboxPort {
  /** fetch-pending.sql: the next pending events of the plan's partitions, in position order. */
  fetchPending(plan: FetchPlan, highest: string): Promise<PendingRow[]>;
  /** record-failure.sql: undefined when the event was published or parked meanwhile. */
  recordFailure(
    position: string,
    message: string,
    permanent: boolean,
    maxAttempts: number,
  ): Promise<RecordedFailure | undefined>;
  /** max-position.sql: the newest position, where `--once` stops. */
  maxPosition(): Promise<string>;
  /** once-remaining.sql: what is left of a `--once` backlog, by partition. */
  remaining(highest: string): Promise<RemainingPartition[]>;
}

/** The {@link OutboxPort} of a pool (or client) and the relay's rendered SQL. */
export function outboxPort(db: Queryable, sql: RelaySql): OutboxPort {
  return {
    async fetchPending(plan, highest) {
      const result = await db.query<PendingRow>(sql.fetchPending, [
        plan.partitions,
        plan.skipSubjects,
        highest,
        plan.limit,
        plan.skipPositions,
      ]);
      return result.rows;
    },
    async recordFailure(position, message, permanent, maxAttempts) {
      const result = await db.query<RecordedFailure>(sql.recordFailure, [
        position,
        message,
        permanent,
        maxAttempts,
      ]);
      return result.rows[0];
    },
    async maxPosition() {
      const result = await db.query<{ position: string }>(sql.maxPosition);
      return result.rows[0]?.position ?? '0';
    },
    async remaining(highest) {
      return (await db.query<RemainingPartition>(sql.onceRemaining, [highest])).rows;
    },
  };
}
