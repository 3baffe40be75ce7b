import type { MergeChunkReport } from './merge-options.js';
import type { MeterLike } from './telemetry.js';

/** The instruments of a merge run: runs by outcome, chunk duration and each chunk's row figures. */
export interface MergeRunMetrics {
  /** One run (or chunk) ended with `outcome`. */
  outcome(outcome: 'succeeded' | 'failed' | 'skipped', mode: string): void;
  /** The figures of a chunk that succeeded. */
  chunk(report: MergeChunkReport, mode: string): void;
}

/**
 * Creates the merge run's instruments on `meter` (the no-op meter unless the binary configured
 * OpenTelemetry), so every figure of `rims_core.merge_runs` is also a metric an alert can use.
 */
export function mergeRunMetrics(meter: MeterLike): MergeRunMetrics {
  const runs = meter.createCounter('rims_merger_runs', { description: 'Merge runs by outcome' });
  const duration = meter.createHistogram('rims_merger_run_duration', {
    description: 'Duration of one merge chunk',
    unit: 'ms',
  });
  const rows = meter.createCounter('rims_merger_rows', {
    description:
      'Rows of merge chunks by kind: raw (in the window), core (added to item_events), rejected, state (items changed)',
  });
  const bytes = meter.createCounter('rims_merger_bytes_processed', {
    description: 'BigQuery bytes processed by merge chunks',
    unit: 'By',
  });
  return {
    outcome(outcome, mode) {
      runs.add(1, { outcome, mode });
    },
    chunk(report, mode) {
      duration.record(report.durationMs, { mode });
      rows.add(report.rawRows, { mode, kind: 'raw' });
      rows.add(report.coreInserted, { mode, kind: 'core' });
      rows.add(report.rejectedInserted, { mode, kind: 'rejected' });
      rows.add(report.stateChanged, { mode, kind: 'state' });
      if (report.bytesProcessed !== null) bytes.add(report.bytesProcessed, { mode });
    },
  };
}
