/**
 * `rims-merger rebuild-history`: commitment history, its spans and the daily mart rebuilt from all
 * of Core, for a warehouse whose Core predates history (upgraded from a release without it) or
 * whose history an operator wants rebuilt after a repair. One transaction under the merge lease:
 * readers see the old contents or the new ones, never a mix, and no run merges meanwhile.
 */
import { resolveDatasets, type Datasets } from './datasets.js';
import { MergerConfigError } from './errors.js';
import type { Dialect } from './dialect.js';
import { startOfUtcDay, usesHistorySpans } from './history.js';
import { MergeLease, newHolderId } from './lease.js';
import { silentLogger, type MergerLogger } from './logger.js';
import { DEFAULT_LEASE_TTL_MS, MIN_LEASE_TTL_MS } from './merge-options.js';
import { stringParam, timestampParam } from './params.js';
import { labelValue, statementRunner } from './statement-runner.js';
import type { QueryParam, Warehouse } from './warehouse/warehouse.js';

/** Statement files of a rebuild: `eventTimes` before the transaction, then the rest in it, in order. */
export const REBUILD_STATEMENTS = {
  eventTimes: 'history/rebuild_000_event_times.sql',
  historyDelete: 'history/rebuild_010_history_delete.sql',
  historyInsert: 'history/rebuild_020_history_insert.sql',
  spansDelete: 'history/rebuild_030_spans_delete.sql',
  spansInsert: 'history/rebuild_040_spans_insert.sql',
  dailyDelete: 'history/rebuild_050_daily_delete.sql',
  dailyInsert: 'history/rebuild_060_daily_insert.sql',
  through: 'history/rebuild_070_through.sql',
} as const;

/** The statements of the transaction, in the order it runs them (spans on BigQuery only). */
function transactionOf(dialect: Dialect): string[] {
  return [
    REBUILD_STATEMENTS.historyDelete,
    REBUILD_STATEMENTS.historyInsert,
    ...(usesHistorySpans(dialect) ? [REBUILD_STATEMENTS.spansDelete, REBUILD_STATEMENTS.spansInsert] : []),
    REBUILD_STATEMENTS.dailyDelete,
    REBUILD_STATEMENTS.dailyInsert,
    REBUILD_STATEMENTS.through,
  ];
}

/** Options of {@link rebuildHistory}. */
export interface RebuildHistoryOptions {
  readonly datasets?: Partial<Datasets>;
  /**
   * The clock, for tests; default the current time. The daily mart is rebuilt through its UTC day
   * (or the day of Core's latest event time, when later).
   */
  readonly now?: Date;
  /** Validate and estimate (BigQuery bytes; DuckDB EXPLAIN) without taking the lease or changing anything. */
  readonly dryRun?: boolean;
  /**
   * How long the merge lease lasts; the transaction must finish inside it (less a margin) or it is
   * stopped and changes nothing. Default 15 minutes, at least one minute: raise it for a large Core.
   */
  readonly leaseTtlMs?: number;
  /** Lease holder id; default host-pid-random. */
  readonly holder?: string;
  /** BigQuery job labels added to every job of the rebuild. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly logger?: MergerLogger;
}

/** What {@link rebuildHistory} did (or, for a dry run, would read). */
export interface RebuildHistoryReport {
  /** `skipped`: another run holds the merge lease, nothing was changed. */
  readonly outcome: 'succeeded' | 'skipped' | 'dry-run';
  /** Rows of rims_core.item_commitment_history written (all of it: one per item and version). */
  readonly historyRows: number;
  /** Rows of rims_core.item_history_spans written (one per item); BigQuery only (see usesHistorySpans). */
  readonly spans?: number;
  /** Rows of rims_analytics.daily_committed written. */
  readonly dailyRows: number;
  /** The first day of the rebuilt mart (the day of Core's earliest event); undefined when Core is empty. */
  readonly firstDay: Date | undefined;
  /** The last day of the rebuilt mart, midnight UTC: rims_core.daily_committed_through afterwards. */
  readonly throughDay: Date;
  /** BigQuery bytes processed (by a dry run: estimated); null on DuckDB. */
  readonly bytesProcessed: number | null;
  readonly durationMs: number;
  /** Holder of the lease when the rebuild was skipped. */
  readonly leaseHolder?: string;
}

/**
 * The days a rebuilt mart holds: from the day of Core's earliest event time through the UTC day of
 * `now`, or of Core's latest event time when later (a run keeps no history row beginning after
 * the last day held, so neither does a rebuild).
 *
 * @example rebuildDays(new Date('2026-11-30T10:00:00Z'), { first: new Date('2026-01-02T03:00:00Z') })
 */
export function rebuildDays(
  now: Date,
  eventTimes: { readonly first?: Date | undefined; readonly last?: Date | undefined },
): { firstDay: Date | undefined; throughDay: Date } {
  const today = startOfUtcDay(now);
  const last = eventTimes.last ? startOfUtcDay(eventTimes.last) : today;
  return {
    firstDay: eventTimes.first ? startOfUtcDay(eventTimes.first) : undefined,
    throughDay: last.getTime() > today.getTime() ? last : today,
  };
}

/**
 * Rebuilds rims_core.item_commitment_history, rims_core.item_history_spans and
 * rims_analytics.daily_committed from all of Core, and sets rims_core.daily_committed_through to
 * the last day rebuilt, in one transaction under the merge lease (every statement fenced by it,
 * the transaction stopped before the lease can expire). Afterwards history equals
 * history/rebuilt.sql and `rims-merger run` maintains it from there. Idempotent: a second rebuild
 * writes the same contents. When another run holds the lease the rebuild changes nothing and
 * reports `skipped`.
 *
 * Cost: it reads all of Core and writes every history, spans and mart row (on BigQuery, the bytes
 * of Core's item columns plus those of the tables it replaces; `dryRun` estimates them).
 *
 * @throws {MergerConfigError} for a lease shorter than {@link MIN_LEASE_TTL_MS}
 * @throws {MergeLeaseError} when the lease lapsed before the transaction committed (raise `leaseTtlMs`)
 * @throws {WarehouseError} when a statement fails (the transaction then changed nothing) or the
 *   lease row is missing (the warehouse was not provisioned)
 * @example
 * import { rebuildHistory } from '@rims/merger';
 * const report = await rebuildHistory(warehouse, { leaseTtlMs: 2 * 3_600_000 });
 * console.log(report.outcome, report.historyRows, report.throughDay.toISOString().slice(0, 10));
 */
export async function rebuildHistory(
  warehouse: Warehouse,
  options: RebuildHistoryOptions = {},
): Promise<RebuildHistoryReport> {
  const started = Date.now();
  const datasets = resolveDatasets(options.datasets);
  const logger = options.logger ?? silentLogger();
  const now = options.now ?? new Date();
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isFinite(leaseTtlMs) || leaseTtlMs < MIN_LEASE_TTL_MS)
    throw new MergerConfigError(
      `--lease-ttl ${String(leaseTtlMs)} ms is too short: the rebuild's transaction runs inside the lease, which must last at least 1m (default 15m; raise it for a large Core)`,
    );
  const holder = options.holder ?? newHolderId();
  const labels = { ...options.labels, component: 'rebuild-history', holder: labelValue(holder) };
  const statements = statementRunner(warehouse, datasets, labels);
  const transactionPaths = transactionOf(warehouse.dialect);
  const report = (
    outcome: RebuildHistoryReport['outcome'],
    rest: Partial<RebuildHistoryReport> & Pick<RebuildHistoryReport, 'throughDay'>,
  ): RebuildHistoryReport => ({
    outcome,
    historyRows: 0,
    dailyRows: 0,
    firstDay: undefined,
    bytesProcessed: null,
    durationMs: Date.now() - started,
    ...rest,
  });

  if (options.dryRun) {
    // Nothing is read: the days are those of `now`, which binds the same types as a real rebuild.
    const { throughDay } = rebuildDays(now, {});
    const values = transactionValues(holder, throughDay);
    let bytes: number | null = null;
    for (const path of [REBUILD_STATEMENTS.eventTimes, ...transactionPaths]) {
      const result = await statements.run(path, values, { dryRun: true });
      if (result.bytesProcessed !== null) bytes = (bytes ?? 0) + result.bytesProcessed;
    }
    return report('dry-run', { throughDay, bytesProcessed: bytes });
  }

  const lease = new MergeLease(warehouse, datasets, holder, leaseTtlMs, labels);
  const state = await lease.acquireOrFindHolder();
  if (state) {
    logger.warn(
      { holder: state.holder, expiresAt: state.expiresAt },
      'another run holds the merge lease; the rebuild changes nothing',
    );
    return report('skipped', { throughDay: rebuildDays(now, {}).throughDay, leaseHolder: state.holder });
  }
  try {
    const times = await statements.run(
      REBUILD_STATEMENTS.eventTimes,
      {},
      { timeoutMs: lease.statementTimeoutMs() },
    );
    const row = times.rows[0] ?? {};
    const days = rebuildDays(now, {
      first: row.first_time instanceof Date ? row.first_time : undefined,
      last: row.last_time instanceof Date ? row.last_time : undefined,
    });
    await lease.renew();
    const values = transactionValues(holder, days.throughDay);
    const result = await statements.transaction(
      transactionPaths.map((path) => ({ path, values })),
      // Stopped (and rolled back) before the lease can expire: it never commits after another run took over.
      { timeoutMs: lease.statementTimeoutMs() },
    );
    // The statements are fenced: after a lapse they apply nothing and report no error. Only a lease
    // still ours and unexpired now proves they ran under it.
    await lease.renew();
    const written = (path: string) => result.affectedRows[transactionPaths.indexOf(path)] ?? 0;
    const bytes = [times.bytesProcessed, result.bytesProcessed].filter((n) => n !== null);
    const done = report('succeeded', {
      ...days,
      bytesProcessed: bytes.length > 0 ? bytes.reduce((sum, n) => sum + n, 0) : null,
      historyRows: written(REBUILD_STATEMENTS.historyInsert),
      ...(usesHistorySpans(warehouse.dialect) ? { spans: written(REBUILD_STATEMENTS.spansInsert) } : {}),
      dailyRows: written(REBUILD_STATEMENTS.dailyInsert),
    });
    logger.info({ ...done }, 'history rebuilt from Core');
    return done;
  } finally {
    await lease.release().catch((error: unknown) => {
      logger.warn({ err: error }, 'releasing the merge lease failed; it expires by itself');
    });
  }
}

/** The parameters of the transaction's statements. */
function transactionValues(holder: string, throughDay: Date): Record<string, QueryParam> {
  return { holder: stringParam(holder), days_through: timestampParam(throughDay) };
}
