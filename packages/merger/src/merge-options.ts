/** What a merge run takes and reports, and its defaults. */
import type { Datasets } from './datasets.js';
import type { MergerLogger } from './logger.js';
import type { MeterLike, TracerLike } from './telemetry.js';
import { MergerConfigError } from './errors.js';

/** Two days: how far behind the watermark each incremental run looks for late rows by default. */
export const DEFAULT_LOOKBACK_MS = 2 * 86_400_000;
/** A run holds the merge lease this long unless renewed (each step renews it). */
export const DEFAULT_LEASE_TTL_MS = 15 * 60_000;
/**
 * The shortest lease a run accepts: one minute. A shorter lease can lapse inside a single MERGE,
 * and then every fenced MERGE of the run applies nothing.
 */
export const MIN_LEASE_TTL_MS = 60_000;
/** Repair runs (`--from/--to`) proceed one day of raw publish time at a time. */
export const DEFAULT_CHUNK_MS = 86_400_000;

/** Options of {@link runMerge}. */
export interface MergeOptions {
  readonly datasets?: Partial<Datasets>;
  /** Incremental window = last successful watermark minus this, to now; default 2 days. */
  readonly lookbackMs?: number | undefined;
  /** Repair: merge raw rows published from this time (inclusive) ... */
  readonly from?: Date;
  /** ... to this time (exclusive; default now). */
  readonly to?: Date;
  /** Validate and estimate (BigQuery bytes) without changing anything. */
  readonly dryRun?: boolean;
  /** Split repair windows into chunks of this length (a run-log row and a progress tick each); default 1 day. */
  readonly chunkMs?: number;
  /** How long the merge lease lasts unless renewed; default 15 minutes, at least one minute. */
  readonly leaseTtlMs?: number;
  /** The clock, for tests; default the current time. */
  readonly now?: Date;
  /** Lease holder id; default host-pid-random. */
  readonly holder?: string;
  /** Called after each chunk with chunks done and total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** BigQuery job labels added to every job of the run. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly logger?: MergerLogger;
  readonly meter?: MeterLike;
  readonly tracer?: TracerLike;
  /**
   * Stops the run after the statement in hand (the binary aborts it on SIGTERM): the chunk in
   * progress is recorded as failed, the lease given back, and {@link MergeStoppedError} thrown.
   */
  readonly signal?: AbortSignal;
  /**
   * DuckDB: State's recent changes move into its base once they number a tenth of base and at least
   * this many (default 50,000); see `sql/duckdb/ddl/030_core_item_commitment_state.sql`. BigQuery
   * ignores it.
   */
  readonly stateCompactionMinRows?: number;
}

/** What one chunk of a run did (or, for a dry run, would do). */
export interface MergeChunkReport {
  readonly runId: string;
  readonly windowFrom: Date;
  readonly windowTo: Date;
  /** Raw rows in the window (duplicates and invalid rows included). */
  readonly rawRows: number;
  readonly validRows: number;
  readonly coreInserted: number;
  readonly rejectedInserted: number;
  readonly stateChanged: number;
  /** Rows of rims_core.item_commitment_history inserted or updated. */
  readonly historyChanged: number;
  /** Rows of rims_analytics.daily_committed inserted, updated or deleted. */
  readonly dailyChanged: number;
  /** Snapshots found to differ from the derived state before them (rims_core.item_state_discrepancies rows written). */
  readonly discrepanciesFound: number;
  /** BigQuery bytes processed, or estimated by a dry run; null on DuckDB. */
  readonly bytesProcessed: number | null;
  readonly durationMs: number;
}

/** What {@link runMerge} did. */
export interface MergeReport {
  readonly mode: 'incremental' | 'repair';
  /** `skipped`: another run held the lease, nothing was applied. */
  readonly outcome: 'succeeded' | 'skipped' | 'dry-run';
  readonly windowFrom: Date;
  readonly windowTo: Date;
  /** The watermark the incremental window was computed from (undefined before the first success). */
  readonly watermark: Date | undefined;
  readonly chunks: readonly MergeChunkReport[];
  /** Holder of the lease when the run was skipped. */
  readonly leaseHolder?: string;
}

/** A chunk that is not a positive length would never advance through a window. */
export function assertPositiveChunk(chunkMs: number): void {
  if (!Number.isFinite(chunkMs) || chunkMs <= 0)
    throw new MergerConfigError(`--chunk ${String(chunkMs)} ms must be a positive duration such as 1d`);
}

/**
 * Splits [from, to) into consecutive windows of at most `chunkMs`.
 *
 * @throws {MergerConfigError} when `chunkMs` is not a positive number (the loop would never end)
 */
export function chunkWindow(from: Date, to: Date, chunkMs: number): { from: Date; to: Date }[] {
  assertPositiveChunk(chunkMs);
  const chunks: { from: Date; to: Date }[] = [];
  for (let start = from.getTime(); start < to.getTime(); start += chunkMs) {
    chunks.push({ from: new Date(start), to: new Date(Math.min(start + chunkMs, to.getTime())) });
  }
  return chunks.length > 0 ? chunks : [{ from, to }];
}
