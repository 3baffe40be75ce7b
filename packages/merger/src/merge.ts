// Past 300 lines on purpose: runMerge's dry-run and merge steps share its lease, window, datasets
// and metrics as one closure; the statements are SQL files, history and discrepancies their own modules.
import { randomUUID } from 'node:crypto';
import { resolveDatasets } from './datasets.js';
import { MergeStoppedError, MergerConfigError } from './errors.js';
import { MergeLease, newHolderId } from './lease.js';
import { silentLogger } from './logger.js';
import {
  DEFAULT_CHUNK_MS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LOOKBACK_MS,
  MIN_LEASE_TTL_MS,
  assertPositiveChunk,
  chunkWindow,
  type MergeChunkReport,
  type MergeOptions,
  type MergeReport,
} from './merge-options.js';
import {
  HISTORY_STATEMENTS,
  maintainHistory,
  startOfUtcDay,
  usesHistorySpans,
  type RunTransaction,
} from './history.js';
import { DISCREPANCY_STATEMENT, detectDiscrepancies } from './discrepancies.js';
import { intArrayParam, intParam, stringParam, timestampParam } from './params.js';
import { mergeRunMetrics } from './run-metrics.js';
import { compactStateIfDue } from './state-layout.js';
import { labelValue, statementRunner } from './statement-runner.js';
import { NOOP_METER, NOOP_TRACER, inSpan } from './telemetry.js';
import { readWatermark } from './watermark.js';
import type { QueryParam, QueryResult, Warehouse } from './warehouse/warehouse.js';

export {
  DEFAULT_CHUNK_MS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LOOKBACK_MS,
  MIN_LEASE_TTL_MS,
  chunkWindow,
  type MergeChunkReport,
  type MergeOptions,
  type MergeReport,
} from './merge-options.js';
export { readWatermark } from './watermark.js';

const EPOCH = new Date(0);
/** BigQuery State partitions: `rims_core.item_bucket` hashes an item id into [0, 4000) (ddl/006). */
const STATE_BUCKETS = 4000;

/** Statement files of a run, in order. */
const STATEMENTS = {
  window: 'merge/010_window.sql',
  core: 'merge/020_core_item_events.sql',
  rejected: 'merge/030_core_item_events_rejected.sql',
  state: 'merge/040_item_commitment_state.sql',
  heartbeats: 'merge/050_pipeline_heartbeats.sql',
  start: 'runs/start.sql',
  finish: 'runs/finish.sql',
} as const;

/**
 * Merges raw events into Core and item state, incrementally: Raw -> Core (valid events, once per
 * event id), Raw -> Rejected (invalid rows, with the reason), Raw -> State (per item the valid event
 * with the highest sequence, applied only when higher than the stored version; equal sequences go to
 * the higher event id). Every statement reads raw with constant publish_time bounds, so BigQuery
 * prunes partitions and cost follows new data.
 *
 * The window is the last successful incremental watermark minus `lookbackMs`, to now; `from`/`to`
 * merge an explicit window instead (repairs, which leave the watermark where it is). Reruns,
 * duplicates and shuffled arrivals give the same state. A lease keeps two runs from applying at
 * once: the second is `skipped`. The lease is renewed after the last MERGE of each chunk, so a run
 * whose lease lapsed (its fenced MERGEs applied nothing) is recorded as failed, never succeeded.
 *
 * @throws {MergerConfigError} for an empty or future window, `to` without `from`, a chunk that is
 *   not positive or a lease shorter than {@link MIN_LEASE_TTL_MS}
 * @throws {MergeLeaseError} when the run loses its lease part-way (the chunk is recorded as failed)
 * @throws {MergeStoppedError} when `signal` aborts the run
 * @throws {WarehouseError} when the lease row is missing (the warehouse was not provisioned)
 * @example
 * import { parseDuration } from '@rims/schemas';
 * import { runMerge } from '@rims/merger';
 * const report = await runMerge(warehouse, { lookbackMs: parseDuration('2d') });
 * const repair = await runMerge(warehouse, { from: new Date('2026-11-01'), to: new Date('2026-11-08') });
 */
export async function runMerge(warehouse: Warehouse, options: MergeOptions = {}): Promise<MergeReport> {
  const datasets = resolveDatasets(options.datasets);
  const logger = options.logger ?? silentLogger();
  const meter = options.meter ?? NOOP_METER;
  const tracer = options.tracer ?? NOOP_TRACER;
  const lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const now = options.now ?? new Date();
  const dialect = warehouse.dialect;
  if (!Number.isFinite(lookbackMs) || lookbackMs < 0)
    throw new MergerConfigError(`lookback ${String(lookbackMs)} ms must be zero or more`);

  const mode = options.from ? 'repair' : 'incremental';
  if (!options.from && options.to)
    throw new MergerConfigError('--to needs --from: a repair merges an explicit window [from, to)');
  const watermark = mode === 'incremental' ? await readWatermark(warehouse, datasets) : undefined;
  const windowFrom = options.from ?? (watermark ? new Date(watermark.getTime() - lookbackMs) : EPOCH);
  const windowTo = options.to ?? now;
  if (options.to && options.to.getTime() > now.getTime())
    throw new MergerConfigError(
      `--to ${options.to.toISOString()} is later than now (${now.toISOString()}): a repair can only merge what has been published; leave --to out to merge up to now`,
    );
  if (windowFrom.getTime() >= windowTo.getTime()) {
    throw new MergerConfigError(
      `the window [${windowFrom.toISOString()}, ${windowTo.toISOString()}) is empty; --from must be before --to`,
    );
  }
  const chunkMs = options.chunkMs ?? DEFAULT_CHUNK_MS;
  assertPositiveChunk(chunkMs);
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isFinite(leaseTtlMs) || leaseTtlMs < MIN_LEASE_TTL_MS)
    throw new MergerConfigError(
      `--lease-ttl ${String(leaseTtlMs)} ms is too short: a lease must last at least 1m (default 15m) or it lapses mid-MERGE`,
    );
  // Incremental runs are one window (normally lookback plus the time since the last run); repairs
  // go a chunk at a time so long ranges show progress and each job stays bounded.
  const chunks =
    mode === 'repair' ? chunkWindow(windowFrom, windowTo, chunkMs) : [{ from: windowFrom, to: windowTo }];

  const holder = options.holder ?? newHolderId();
  const baseLabels = { ...options.labels, component: 'merge', mode, holder: labelValue(holder) };
  const statements = statementRunner(warehouse, datasets, baseLabels);
  const execute = (
    path: string,
    values: Record<string, QueryParam>,
    runId: string,
    dryRun = false,
    timeoutMs?: number,
  ): Promise<QueryResult> =>
    statements.run(path, values, {
      labels: { run_id: runId },
      dryRun,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });

  // A step of a run under the lease: stopped by the warehouse before the lease can expire.
  const underLease = (path: string, values: Record<string, QueryParam>, runId: string) =>
    execute(path, values, runId, false, lease.statementTimeoutMs());

  const metrics = mergeRunMetrics(meter);

  if (options.dryRun) {
    const reports: MergeChunkReport[] = [];
    for (const chunk of chunks) reports.push(await dryRunChunk(chunk));
    return { mode, outcome: 'dry-run', windowFrom, windowTo, watermark, chunks: reports };
  }

  const lease = new MergeLease(warehouse, datasets, holder, leaseTtlMs, baseLabels);
  const state = await lease.acquireOrFindHolder();
  if (state) {
    logger.warn(
      { holder: state.holder, expiresAt: state.expiresAt },
      'another merge run holds the lease; this run applies nothing',
    );
    metrics.outcome('skipped', mode);
    return {
      mode,
      outcome: 'skipped',
      windowFrom,
      windowTo,
      watermark,
      chunks: [],
      leaseHolder: state.holder,
    };
  }

  const reports: MergeChunkReport[] = [];
  try {
    for (const [index, chunk] of chunks.entries()) {
      stopIfAsked();
      // Just taken for the first chunk; renewed for each later one.
      if (index > 0) await lease.renew();
      reports.push(await mergeChunk(chunk));
      options.onProgress?.(index + 1, chunks.length);
    }
  } finally {
    await lease.release().catch((error: unknown) => {
      logger.warn({ err: error }, 'releasing the merge lease failed; it expires by itself');
    });
  }
  return { mode, outcome: 'succeeded', windowFrom, windowTo, watermark, chunks: reports };

  function stopIfAsked(): void {
    if (options.signal?.aborted)
      throw new MergeStoppedError(
        'the run was asked to stop and stopped after the statement in hand; the chunk in progress is recorded as failed and the next run redoes its window',
      );
  }

  async function dryRunChunk(chunk: { from: Date; to: Date }): Promise<MergeChunkReport> {
    const started = Date.now();
    const runId = randomUUID();
    const values = {
      window_from: timestampParam(chunk.from),
      window_to: timestampParam(chunk.to),
      // Event times are unknown without running the window query; the window bounds estimate them.
      min_time: timestampParam(chunk.from),
      max_time: timestampParam(chunk.to),
      // And every State partition (an upper bound: a run reads only those of the items it touches).
      buckets: intArrayParam(Array.from({ length: STATE_BUCKETS }, (_, bucket) => bucket)),
      merged_at: timestampParam(now),
      run_id: stringParam(runId),
      holder: stringParam(holder),
      // History from the window's start, and its days (estimates, as the event times above).
      history_from: timestampParam(chunk.from),
      days_prev: timestampParam(startOfUtcDay(chunk.from)),
      days_through: timestampParam(startOfUtcDay(chunk.to)),
      days_floor: timestampParam(startOfUtcDay(chunk.from)),
    };
    let bytes: number | null = null;
    let rawRows = 0;
    let validRows = 0;
    if (dialect === 'duckdb') {
      // Reading is free locally: count what the window holds.
      const window = await execute(STATEMENTS.window, values, runId);
      rawRows = Number(window.rows[0]?.raw_rows ?? 0);
      validRows = Number(window.rows[0]?.valid_rows ?? 0);
    }
    for (const path of [
      STATEMENTS.window,
      STATEMENTS.core,
      STATEMENTS.rejected,
      STATEMENTS.state,
      STATEMENTS.heartbeats,
      ...Object.values(HISTORY_STATEMENTS).filter(
        (path) =>
          usesHistorySpans(dialect) ||
          (path !== HISTORY_STATEMENTS.spans && path !== HISTORY_STATEMENTS.bounds),
      ),
      DISCREPANCY_STATEMENT,
    ]) {
      const result = await execute(path, values, runId, true);
      if (result.bytesProcessed !== null) bytes = (bytes ?? 0) + result.bytesProcessed;
    }
    return {
      runId,
      windowFrom: chunk.from,
      windowTo: chunk.to,
      rawRows,
      validRows,
      coreInserted: 0,
      rejectedInserted: 0,
      stateChanged: 0,
      historyChanged: 0,
      dailyChanged: 0,
      discrepanciesFound: 0,
      bytesProcessed: bytes,
      durationMs: Date.now() - started,
    };
  }

  async function mergeChunk(chunk: { from: Date; to: Date }): Promise<MergeChunkReport> {
    return inSpan(tracer, 'rims-merger merge', async (span) => {
      const started = Date.now();
      const startedAt = new Date(started);
      const runId = randomUUID();
      span.setAttribute('rims.run_id', runId);
      const values: Record<string, QueryParam> = {
        run_id: stringParam(runId),
        mode: stringParam(mode),
        holder: stringParam(holder),
        started_at: timestampParam(startedAt),
        merged_at: timestampParam(startedAt),
        window_from: timestampParam(chunk.from),
        window_to: timestampParam(chunk.to),
        lookback_seconds: intParam(mode === 'incremental' ? Math.round(lookbackMs / 1000) : null),
      };
      await execute(STATEMENTS.start, values, runId);
      let bytes: number | null = null;
      const tally = (result: QueryResult) => {
        if (result.bytesProcessed !== null) bytes = (bytes ?? 0) + result.bytesProcessed;
        return result;
      };
      const counts = {
        ...{ rawRows: 0, validRows: 0, coreInserted: 0, rejectedInserted: 0, stateChanged: 0 },
        ...{ historyChanged: 0, dailyChanged: 0, discrepanciesFound: 0 },
      };
      // A history step: checked for a stop, under a renewed lease, its bytes counted.
      const step = async (path: string, stepValues: Record<string, QueryParam>) => {
        stopIfAsked();
        await lease.renew();
        return tally(await underLease(path, stepValues, runId));
      };
      // History steps that must apply together: one transaction, stopped before the lease expires.
      const transaction = async (steps: Parameters<RunTransaction>[0]) => {
        stopIfAsked();
        await lease.renew();
        const result = await statements.transaction(steps, {
          labels: { run_id: runId },
          timeoutMs: lease.statementTimeoutMs(),
        });
        if (result.bytesProcessed !== null) bytes = (bytes ?? 0) + result.bytesProcessed;
        return result.affectedRows;
      };
      try {
        stopIfAsked();
        const window = tally(await underLease(STATEMENTS.window, values, runId)).rows[0] ?? {};
        counts.rawRows = Number(window.raw_rows ?? 0);
        counts.validRows = Number(window.valid_rows ?? 0);
        let bounded = values;
        if (counts.validRows > 0) {
          // Dates carry milliseconds and the warehouse microseconds: widen so no copy falls outside.
          // Core and State both take only the events inside these bounds, fixed by the window query:
          // a copy landing after it cannot slip past the bounded Core lookup (see 020).
          bounded = {
            ...values,
            min_time: timestampParam(window.min_time as Date),
            max_time: timestampParam(new Date((window.max_time as Date).getTime() + 1)),
            // BigQuery: the State partitions of the window's items (DuckDB has no partitions).
            ...(Array.isArray(window.buckets)
              ? { buckets: intArrayParam((window.buckets as unknown[]).map(Number)) }
              : {}),
          };
          stopIfAsked();
          const core = tally(await underLease(STATEMENTS.core, bounded, runId));
          counts.coreInserted = core.affectedRows;
          stopIfAsked();
          await lease.renew();
          counts.stateChanged = tally(await underLease(STATEMENTS.state, bounded, runId)).affectedRows;
          stopIfAsked();
          // Heartbeats: rims_core.pipeline_heartbeats, never item tables (020 and 040 skip them).
          tally(await underLease(STATEMENTS.heartbeats, bounded, runId));
          if (dialect === 'duckdb') {
            // DuckDB: State's recent changes move into its base once grown (see state-layout.ts).
            const compaction = await compactStateIfDue(step, values, options.stateCompactionMinRows);
            if (compaction.compacted) logger.info({ runId, ...compaction }, 'State compacted');
          }
        }
        // Every run, events or not: a new day needs its daily_committed rows carried forward.
        const history = await maintainHistory({ step, transaction, dialect }, bounded, {
          to: chunk.to,
          maxTime: counts.validRows > 0 ? (window.max_time as Date) : undefined,
        });
        counts.historyChanged = history.changed;
        counts.dailyChanged = history.dailyChanged;
        if (history.historyFrom)
          counts.discrepanciesFound = await detectDiscrepancies(step, bounded, history.historyFrom);
        if (counts.rawRows > counts.validRows) {
          stopIfAsked();
          await lease.renew();
          counts.rejectedInserted = tally(await underLease(STATEMENTS.rejected, values, runId)).affectedRows;
        }
        // The MERGEs are fenced: after a lapse they apply nothing and report no error. Only a lease
        // still ours and unexpired now proves they ran under it, so success may be recorded.
        await lease.renew();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await finish('failed', message).catch((logError: unknown) => {
          logger.error({ err: logError }, 'recording the failed run failed');
        });
        metrics.outcome('failed', mode);
        logger.error({ runId, err: error, window: chunk }, 'merge run failed');
        throw error;
      }
      const durationMs = await finish('succeeded', null);
      metrics.outcome('succeeded', mode);
      const report: MergeChunkReport = {
        runId,
        windowFrom: chunk.from,
        windowTo: chunk.to,
        ...counts,
        bytesProcessed: bytes,
        durationMs,
      };
      metrics.chunk(report, mode);
      logger.info({ ...report }, 'merge run succeeded');
      return report;

      async function finish(outcome: 'succeeded' | 'failed', error: string | null): Promise<number> {
        const durationMs = Date.now() - started;
        await execute(
          STATEMENTS.finish,
          {
            ...values,
            finished_at: timestampParam(new Date()),
            outcome: stringParam(outcome),
            raw_rows: intParam(counts.rawRows),
            core_inserted: intParam(counts.coreInserted),
            rejected_inserted: intParam(counts.rejectedInserted),
            state_changed: intParam(counts.stateChanged),
            bytes_processed: intParam(bytes),
            duration_ms: intParam(durationMs),
            error: stringParam(error === null ? null : error.slice(0, 4_000)),
          },
          runId,
        );
        return durationMs;
      }
    });
  }
}
