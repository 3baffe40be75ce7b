/** How the demo shows what the pipeline is doing. */
import type { PipelineCounts } from './local-pipeline.js';

const number = (n: number) => n.toLocaleString('en');

/**
 * One progress line: `12s  written 480 · published 478 · landed 470 · merged 455 · potentially committed 91 · lag 1.4s`.
 * Lag is how old the newest event in the state is: how far the warehouse trails the application.
 */
export function renderProgress(elapsedMs: number, written: number, counts: PipelineCounts): string {
  const lag = counts.newestMerged
    ? `${((Date.now() - counts.newestMerged.getTime()) / 1000).toFixed(1)}s`
    : '-';
  const parts = [
    `${String(Math.round(elapsedMs / 1000)).padStart(3)}s`,
    `written ${number(written)}`,
    `published ${number(counts.published)}`,
    `landed ${number(counts.landed)}`,
    `merged ${number(counts.merged)}`,
    `potentially committed ${number(counts.potentiallyCommitted)}`,
    `lag ${lag}`,
  ];
  const line = parts.join(' · ').replace(' · ', '  ');
  return counts.lastError ? `${line}  (last cycle failed: ${counts.lastError})` : line;
}

/** A plain text table of query rows. */
export function renderTable(rows: readonly Record<string, unknown>[]): string {
  const first = rows[0];
  if (!first) return '  (none)';
  const columns = Object.keys(first);
  const cell = (value: unknown): string => {
    if (value instanceof Date) return value.toISOString();
    switch (typeof value) {
      case 'string':
        return value;
      case 'number':
      case 'bigint':
      case 'boolean':
        return String(value);
      case 'undefined':
        return '';
      default:
        return value === null ? '' : JSON.stringify(value);
    }
  };
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) => `  ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ')}`;
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((row) => line(columns.map((c) => cell(row[c])))),
  ].join('\n');
}
