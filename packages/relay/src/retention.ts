import type { Queryable, RelaySql } from './queries/index.js';

/**
 * Deletes events published more than `retentionMs` ago, `batchSize` rows per statement, until a
 * statement deletes fewer than a batch. Short statements keep locks and WAL bursts small, and leave
 * room between them for the relay's own queries and for autovacuum. Pending and dead events are
 * never deleted.
 *
 * @returns how many events were deleted
 */
export async function deletePublishedEvents(
  db: Queryable,
  statement: RelaySql['deletePublished'],
  options: { retentionMs: number; batchSize: number; shouldStop?: () => boolean },
): Promise<number> {
  let total = 0;
  for (;;) {
    const cutoff = new Date(Date.now() - options.retentionMs);
    const result = await statement.run(db, [cutoff, options.batchSize]);
    const deleted = result.rowCount ?? 0;
    total += deleted;
    if (deleted < options.batchSize || options.shouldStop?.() === true) return total;
  }
}
