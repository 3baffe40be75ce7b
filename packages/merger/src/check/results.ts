/** One line of `rims-merger check`: a figure, its threshold and whether it holds. */
export interface CheckResult {
  /** `heartbeat-age`, `heartbeat-lag`, `rejected-ratio`, `dead-letters` or `failed-runs`. */
  readonly name: string;
  /** The figure; null when it could not be measured (no heartbeat at all, an unreadable subscription): a breach. */
  readonly value: number | null;
  /** The most the figure may be. */
  readonly threshold: number;
  /** `s` for seconds, empty for counts and ratios. */
  readonly unit: string;
  readonly verdict: 'ok' | 'breach';
  /** What was measured, and what it points at. */
  readonly detail: string;
}

/** What `rims-merger check` found; `ok` is false when any check breaches. */
export interface CheckReport {
  readonly ok: boolean;
  readonly at: Date;
  readonly checks: readonly CheckResult[];
}

/** A figure holds when measured and at most its threshold. */
export function verdictOf(value: number | null, threshold: number): 'ok' | 'breach' {
  return value !== null && value <= threshold ? 'ok' : 'breach';
}

const show = (value: number | null, unit: string) =>
  value === null ? 'none' : `${String(Math.round(value * 1000) / 1000)}${unit}`;

/**
 * The line `rims-merger check` prints for one check.
 *
 * @example
 * formatCheckLine({ name: 'failed-runs', value: 0, threshold: 0, unit: '', verdict: 'ok', detail: 'none' });
 * // 'failed-runs     0          threshold 0        ok     none'
 */
export function formatCheckLine(check: CheckResult): string {
  return `${check.name.padEnd(15)} ${show(check.value, check.unit).padEnd(10)} threshold ${show(check.threshold, check.unit).padEnd(8)} ${check.verdict.padEnd(6)} ${check.detail}`;
}
