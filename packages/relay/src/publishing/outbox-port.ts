import {
  positionList,
  type PendingRow,
  type Queryable,
  type RelaySql,
  type RemainingPartition,
} from '../queries/index.js';
import type { FetchPlan, RecordedFailure } from './publish-scheduler.js';

export type { RemainingPartition } from '../queries/index.js';

/**
 * The publish loop's view of PostgreSQL, in the scheduler's terms.
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
      const skip = positionList(plan.skipPositions);
      const params = [plan.partitions, plan.skipSubjects, highest, plan.limit, skip] as const;
      return (await sql.fetchPending.run(db, params)).rows;
    },
    async recordFailure(position, message, permanent, maxAttempts) {
      return (await sql.recordFailure.run(db, [position, message, permanent, maxAttempts])).rows[0];
    },
    async maxPosition() {
      return (await sql.maxPosition.run(db, [])).rows[0]?.position ?? '0';
    },
    async remaining(highest) {
      return (await sql.onceRemaining.run(db, [highest])).rows;
    },
  };
}
