import { statement } from './statement.js';

/** A dead event as list-dead.sql returns it. */
export interface DeadEventRow {
  position: string;
  id: string;
  subject: string;
  sequence: string;
  type: string;
  attempts: number;
  last_error: string | null;
  dead_at: Date;
}

/** list-dead.sql: dead events, oldest first. */
export const listDead = statement<[limit: number], DeadEventRow>('postgres/relay/list-dead.sql');

/** retry-dead.sql: puts dead events back in the queue (all of them with null). */
export const retryDead = statement<[ids: readonly string[] | null], { id: string }>(
  'postgres/relay/retry-dead.sql',
);

/** replay-plan.sql's row: the window, by publishing time, and its positions. */
export interface ReplayPlanRow {
  since: string;
  until: string;
  oldest_retained: string | null;
  first_position: string | null;
  last_position: string | null;
}

/** replay-plan.sql: the window to replay (until NULL: now). */
export const replayPlan = statement<[since: string, until: string | null], ReplayPlanRow>(
  'postgres/relay/replay-plan.sql',
);

/** replay-count.sql: events of the window, per type. */
export const replayCount = statement<[since: string, until: string], { type: string; events: number }>(
  'postgres/relay/replay-count.sql',
);

/** One row of replay-batch.sql. */
export interface ReplayBatchRow {
  /** The highest position the batch looked at; null when nothing was left. */
  through_position: string | null;
  scanned: number;
  /** Events put back in the queue, per type. */
  by_type: Record<string, number>;
}

/** replay-batch.sql: puts one batch of the window back in the queue. */
export const replayBatch = statement<
  [since: string, until: string, after: string, last: string, batchSize: number],
  ReplayBatchRow
>('postgres/relay/replay-batch.sql');
