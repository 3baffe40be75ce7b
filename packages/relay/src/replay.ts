import type { Pool } from 'pg';
import { z } from 'zod';
import { outboxSchemaName, outboxWakeChannel } from '@rims/outbox';
import { RelayConfigError } from './errors.js';
import { relaySql } from './queries/index.js';
import { inTransaction } from './transaction.js';

/**
 * Options of {@link replayEvents}.
 *
 * @example const options: ReplayOptions = { since: '2026-03-01T09:00:00Z', until: '2026-03-01T10:30:00Z' };
 */
export interface ReplayOptions {
  /** Replay events published at or after this time: a Date, or an RFC 3339 string with `Z` or an offset. */
  since: Date | string;
  /** ... and before this time (exclusive); default: the database clock when the replay starts. */
  until?: Date | string;
  /** Count what would be replayed, per event type, and change nothing. */
  dryRun?: boolean;
  /** Schema of the outbox tables; default `rims_outbox`. */
  schema?: string;
  /** Events put back in the queue per statement (and transaction); default 1,000. */
  batchSize?: number;
  /** Called after each batch with the number of events replayed so far. */
  onBatch?: (replayed: number) => void;
}

/**
 * What {@link replayEvents} did (or, with `dryRun`, would do).
 *
 * @example const { events, byType } = await replayEvents(pool, { since, dryRun: true });
 */
export interface ReplayResult {
  /** Start of the window, as the database read it (UTC, microseconds). */
  readonly since: string;
  /** End of the window (exclusive), as the database read it (UTC, microseconds). */
  readonly until: string;
  readonly dryRun: boolean;
  /** Events put back in the queue (with `dryRun`: that would be). */
  readonly events: number;
  /** The same per event type. */
  readonly byType: Readonly<Record<string, number>>;
  /** Statements (transactions) it took; 0 for a dry run. */
  readonly batches: number;
  /**
   * When the oldest published event still in the outbox was published, or null when none is. Events
   * published before it were deleted by retention (RELAY_RETENTION) and cannot be replayed.
   */
  readonly oldestRetained: string | null;
}

const rfc3339 = z.iso.datetime({ offset: true });

/**
 * Puts events that were already published, and are still within retention, back in the queue so
 * that the relays publish them again: after a loss downstream (a subscription deleted and recreated,
 * a dead-letter topic drained, an emulator restarted). The window is by publishing time, the same
 * clock as Pub/Sub's own seek, in `[since, until)`.
 *
 * Events are re-queued in bounded batches (one transaction each, waking the relays at its commit),
 * walking positions upwards, so each subject's replayed events are published again in their
 * original order. A newer event of the same subject that is pending or in flight meanwhile may be
 * published before, between or after them; consumers that apply only higher sequences (the
 * warehouse) reach the same state, and every consumer deduplicates by event id. Dead events are not
 * included (they were never published; see `retryDeadEvents`).
 *
 * @throws {RelayConfigError} naming `since`, `until` or `batchSize` when one is not acceptable
 * @example
 * const plan = await replayEvents(pool, { since: '2026-03-01T09:00:00Z', dryRun: true });
 * console.log(plan.events, plan.byType);
 * await replayEvents(pool, { since: '2026-03-01T09:00:00Z', until: plan.until });
 */
export async function replayEvents(pool: Pool, options: ReplayOptions): Promise<ReplayResult> {
  const schema = outboxSchemaName(options.schema);
  const since = timeParameter('since', options.since);
  const until = options.until === undefined ? null : timeParameter('until', options.until);
  const batchSize = options.batchSize ?? 1_000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new RelayConfigError(`batchSize ${String(batchSize)} is not a whole number from 1 to 100000`);
  }
  const sql = relaySql(schema);

  const plan = (await sql.replayPlan.run(pool, [since, until])).rows[0];
  if (!plan) throw new Error('replay-plan.sql returned no row');
  if (plan.until <= plan.since) {
    throw new RelayConfigError(
      `until (${plan.until}) is not after since (${plan.since}); the window is [since, until), by publishing time`,
    );
  }
  const window = { since: plan.since, until: plan.until, oldestRetained: plan.oldest_retained };

  if (options.dryRun === true) {
    const rows = (await sql.replayCount.run(pool, [plan.since, plan.until])).rows;
    return {
      ...window,
      dryRun: true,
      events: rows.reduce((sum, row) => sum + row.events, 0),
      byType: Object.fromEntries(rows.map((row) => [row.type, row.events])),
      batches: 0,
    };
  }

  const byType: Record<string, number> = {};
  let events = 0;
  let batches = 0;
  if (plan.first_position !== null && plan.last_position !== null) {
    const lastPosition = plan.last_position;
    let after = (BigInt(plan.first_position) - 1n).toString();
    for (;;) {
      const batch = await inTransaction(pool, async (client) => {
        const row = (
          await sql.replayBatch.run(client, [plan.since, plan.until, after, lastPosition, batchSize])
        ).rows[0];
        if (row && Object.keys(row.by_type).length > 0) {
          await sql.wakeRelays.run(client, [outboxWakeChannel(schema)]);
        }
        return row;
      });
      const counts = Object.entries(batch?.by_type ?? {});
      if (counts.length > 0) {
        batches += 1;
        for (const [type, n] of counts) {
          byType[type] = (byType[type] ?? 0) + n;
          events += n;
        }
        options.onBatch?.(events);
      }
      if (!batch?.through_position || batch.scanned < batchSize) break;
      after = batch.through_position;
    }
  }
  return { ...window, dryRun: false, events, byType, batches };
}

/** A time for a query parameter: a Date as ISO, a string kept as given (microseconds and all) once checked. */
function timeParameter(name: 'since' | 'until', value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RelayConfigError(`${name} is an invalid Date`);
    return value.toISOString();
  }
  if (typeof value !== 'string' || !rfc3339.safeParse(value).success) {
    throw new RelayConfigError(
      `${name} ${JSON.stringify(value)} is not an RFC 3339 time; pass one with a date, a time and Z or an offset, such as 2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00`,
    );
  }
  return value;
}
