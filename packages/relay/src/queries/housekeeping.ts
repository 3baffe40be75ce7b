import { statement } from './statement.js';

/** delete-published.sql: one batch of events published before the cut-off. */
export const deletePublished = statement<[cutoff: Date, batchSize: number]>(
  'postgres/relay/delete-published.sql',
);

/** backlog-stats.sql's row: counts capped at the parameter; the table's statistics and size. */
export interface BacklogStats {
  readonly pending: string;
  readonly oldest_pending_seconds: string | null;
  readonly dead: string;
  readonly live_rows: string;
  readonly dead_rows: string;
  readonly table_bytes: string;
}

/**
 * backlog-stats.sql: pending and dead counts, age of the oldest pending event, the table's live
 * and dead row versions and its size.
 */
export const backlogStats = statement<[countCap: number], BacklogStats>('postgres/relay/backlog-stats.sql');

/** mark-waiting.sql: this replica asks writers to NOTIFY. */
export const markWaiting = statement<[replicaId: string], { replica_id: string }>(
  'postgres/relay/mark-waiting.sql',
);

/** unmark-waiting.sql: writers need not NOTIFY this replica. */
export const unmarkWaiting = statement<[replicaId: string]>('postgres/relay/unmark-waiting.sql');

/** wake-relays.sql: NOTIFY the relays on a channel. */
export const wakeRelays = statement<[channel: string]>('postgres/relay/wake-relays.sql');
