import { resolveDatasets, type Datasets } from '../datasets.js';
import { MERGER_METRIC_NAMES } from '../metric-names.js';
import { timestampParam } from '../params.js';
import { statementRunner } from '../statement-runner.js';
import { NOOP_METER, type GaugeMeterLike } from '../telemetry.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { type CheckReport, type CheckResult, verdictOf } from './results.js';

export { formatCheckLine, type CheckReport, type CheckResult } from './results.js';

/** Thresholds and inputs of {@link runCheck}; every threshold has the default DESIGN.md states. */
export interface CheckOptions {
  readonly datasets?: Partial<Datasets>;
  /** Most the newest Core heartbeat's age, and its commit-to-Core lag, may be; default 5 minutes. */
  readonly maxLagMs?: number;
  /** Most rejected rows over raw rows (heartbeats left out) in the window; default 0.01. */
  readonly maxRejectedRatio?: number;
  /** The window of the rejected ratio and of failed runs; default 1 hour. */
  readonly windowMs?: number;
  /** Most messages in the raw subscription's dead-letter subscription; default 0. */
  readonly maxDeadLetters?: number;
  /** Most failed merge runs in the window; default 0. */
  readonly maxFailedRuns?: number;
  /** Oldest heartbeat that counts (and partition bound); default 2 days. */
  readonly horizonMs?: number;
  /**
   * Counts the dead-letter backlog (see dead-letters.ts); left out, the check is not made. Throws
   * when the subscription cannot be read: that is a breach, with the error as its detail.
   */
  readonly countDeadLetters?: () => Promise<number>;
  /** Gauges of the figures, named as MERGER_METRIC_NAMES (no-op unless the binary set up OpenTelemetry). */
  readonly meter?: GaugeMeterLike;
  readonly now?: Date;
}

const DEFAULTS = {
  maxLagMs: 5 * 60_000,
  maxRejectedRatio: 0.01,
  windowMs: 60 * 60_000,
  maxDeadLetters: 0,
  maxFailedRuns: 0,
  horizonMs: 2 * 86_400_000,
};

const dateOf = (value: unknown): Date | null =>
  value === null || value === undefined ? null : new Date(value as string | Date);

/**
 * Checks the pipeline end to end from the warehouse: heartbeat freshness (age of the newest heartbeat
 * in `rims_core.pipeline_heartbeats`, and its commit-to-Core lag), the rejected ratio, the dead-letter
 * backlog and failed merge runs. `ok` is false when any check breaches its threshold.
 *
 * @example const report = await runCheck(warehouse, { maxLagMs: 300_000 }); process.exitCode = report.ok ? 0 : 1;
 */
export async function runCheck(warehouse: Warehouse, options: CheckOptions = {}): Promise<CheckReport> {
  const settings = { ...DEFAULTS, ...definedOf(options) };
  const now = options.now ?? new Date();
  const statements = statementRunner(warehouse, resolveDatasets(options.datasets), { component: 'check' });
  const horizon = timestampParam(new Date(now.getTime() - settings.horizonMs));
  const since = timestampParam(new Date(now.getTime() - settings.windowMs));
  const first = async (path: string, values: Parameters<typeof statements.run>[1]) =>
    (await statements.run(path, values)).rows[0] ?? {};

  const core = await first('check/heartbeat_core.sql', { since: horizon });
  const sentAt = dateOf(core.sent_at);
  const mergedAt = dateOf(core.merged_at);
  // Only a heartbeat published after Core's newest says the merger is behind; bounding Raw's scan
  // by it keeps the check to Raw's last minutes while the merger keeps up.
  const coreNewest = dateOf(core.publish_time);
  const raw = await first('check/heartbeat_raw.sql', {
    after: coreNewest ? timestampParam(coreNewest) : horizon,
  });
  const rawNewest = dateOf(raw.newest_publish_time);
  const behind = rawNewest
    ? `; a newer heartbeat landed in Raw ${seconds((now.getTime() - rawNewest.getTime()) / 1000)}s ago and is not in Core: the merger is behind`
    : '';
  const age = sentAt ? (now.getTime() - sentAt.getTime()) / 1000 : null;
  const lag = sentAt && mergedAt ? (mergedAt.getTime() - sentAt.getTime()) / 1000 : null;
  const none = `no heartbeat reached Core in the last ${seconds(settings.horizonMs / 1000)}s`;
  const maxLagSeconds = settings.maxLagMs / 1000;
  const checks: CheckResult[] = [
    result(
      'heartbeat-age',
      age,
      maxLagSeconds,
      's',
      sentAt
        ? `newest heartbeat in Core: replica ${String(core.replica)}, sent ${sentAt.toISOString()}${behind}`
        : `${none}${behind}`,
    ),
    result(
      'heartbeat-lag',
      lag,
      maxLagSeconds,
      's',
      sentAt ? 'from its outbox commit to its merge into Core' : none,
    ),
  ];

  const counts = await first('check/rejected_ratio.sql', { since, until: timestampParam(now) });
  const rejected = Number(counts.rejected ?? 0);
  const rawRows = Number(counts.raw_rows ?? 0);
  const ratio = rawRows === 0 ? 0 : rejected / rawRows;
  const window = `${seconds(settings.windowMs / 1000)}s`;
  checks.push(
    result(
      'rejected-ratio',
      ratio,
      settings.maxRejectedRatio,
      '',
      `${String(rejected)} of ${String(rawRows)} rows published in the last ${window} rejected`,
    ),
  );

  if (options.countDeadLetters) {
    try {
      const dead = await options.countDeadLetters();
      checks.push(
        result(
          'dead-letters',
          dead,
          settings.maxDeadLetters,
          '',
          'messages the raw subscription could not write, waiting in its dead-letter subscription',
        ),
      );
    } catch (error) {
      checks.push(
        result(
          'dead-letters',
          null,
          settings.maxDeadLetters,
          '',
          `cannot read the dead-letter subscription: ${(error as Error).message}`,
        ),
      );
    }
  }

  const failed = await first('check/failed_runs.sql', { since });
  const lastFailed = dateOf(failed.last_failed_at);
  checks.push(
    result(
      'failed-runs',
      Number(failed.failed ?? 0),
      settings.maxFailedRuns,
      '',
      lastFailed
        ? `latest started ${lastFailed.toISOString()}; see rims_core.merge_runs`
        : `none in the last ${window}`,
    ),
  );

  recordGauges(options.meter ?? NOOP_METER, { age, lag, ratio });
  return { ok: checks.every((check) => check.verdict === 'ok'), at: now, checks };
}

function result(
  name: string,
  value: number | null,
  threshold: number,
  unit: string,
  detail: string,
): CheckResult {
  return { name, value, threshold, unit, verdict: verdictOf(value, threshold), detail };
}

const seconds = (value: number) => String(Math.round(value));

function definedOf(options: CheckOptions): Partial<typeof DEFAULTS> {
  return Object.fromEntries(
    Object.entries(options).filter(([key, value]) => key in DEFAULTS && value !== undefined),
  );
}

/** The figures as gauges an alert policy can query (names shared with the Terraform module). */
function recordGauges(
  meter: GaugeMeterLike,
  figures: { age: number | null; lag: number | null; ratio: number },
) {
  const gauge = (name: string, unit: string, description: string, value: number | null) => {
    if (value !== null) meter.createGauge(name, { unit, description }).record(value);
  };
  gauge(
    MERGER_METRIC_NAMES.heartbeatAge,
    's',
    'Age of the newest heartbeat in rims_core.pipeline_heartbeats',
    figures.age,
  );
  gauge(
    MERGER_METRIC_NAMES.heartbeatLag,
    's',
    'That heartbeat’s lag from its outbox commit to its merge into Core',
    figures.lag,
  );
  gauge(
    MERGER_METRIC_NAMES.rejectedRatio,
    '1',
    'Rejected rows over raw rows in the check window',
    figures.ratio,
  );
}
