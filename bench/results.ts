/** Shared by the benchmarks: percentiles, ratios, and the JSON results each one writes. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where every benchmark writes `<name>.json`. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** The p-th percentile (nearest rank) of `samples`, rounded to 0.1. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[rank] ?? Number.NaN) * 10) / 10;
}

/** `measured / baseline`, rounded to 0.001. */
export function ratio(measured: number, baseline: number): number {
  return Math.round((measured / baseline) * 1000) / 1000;
}

/** Writes `bench/results/<name>.json` with the run's time and machine, and prints it. */
export function writeResults(name: string, results: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const document = {
    benchmark: name,
    measured_at: new Date().toISOString(),
    node: process.version,
    ...results,
  };
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  console.log(JSON.stringify(document, null, 2));
  console.log(`wrote ${path}`);
}

/** The median, min and max of some rounds' figures. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Median, min and max of `samples`: figures below 10 are kept to 0.001, larger ones to 0.1.
 *
 * @example spread([3, 1, 2]) // { median: 2, min: 1, max: 3 }
 */
export function spread(samples: readonly number[]): Spread {
  const round = (value: number) =>
    Math.abs(value) < 10 ? Math.round(value * 1000) / 1000 : Math.round(value * 10) / 10;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle =
    sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN);
  return {
    median: round(middle),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}
