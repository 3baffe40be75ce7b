/**
 * `pnpm bench`: runs every benchmark, one after the other (each in its own process, so none skews
 * another), then gathers their ratios into bench/results/all.json and prints a Markdown table of
 * them for the README.
 *
 * Usage: pnpm bench [--only outbox-write,relay-latency] [--gather]
 * The soak (10 minutes, `pnpm bench:soak`) runs only when named: `pnpm bench --only soak`.
 * `--gather` runs nothing: it rebuilds all.json and the table from the results already written.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DIR } from './results.js';

/** Every benchmark, in the order it runs; each writes bench/results/<name>.json. */
const BENCHMARKS = [
  'outbox-write',
  'outbox-write-network',
  'outbox-backfill',
  'event-encoding',
  'relay-throughput',
  'relay-latency',
  'merger-incremental',
  'merger-history',
] as const;
/** Run only when named in --only: too long for every `pnpm bench`. */
const ON_REQUEST = ['soak'] as const;
const KNOWN: readonly string[] = [...BENCHMARKS, ...ON_REQUEST];

interface BenchmarkResult {
  measured_at?: string;
  ratios?: Record<string, number>;
  targets?: Record<string, number>;
}

const { values } = parseArgs({ options: { only: { type: 'string' }, gather: { type: 'boolean' } } });
const only = values.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !KNOWN.includes(name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${KNOWN.join(', ')}`);
  process.exit(2);
}

const failed: string[] = [];
for (const name of values.gather ? [] : KNOWN) {
  if (only ? !only.includes(name) : !(BENCHMARKS as readonly string[]).includes(name)) continue;
  console.log(`\n=== bench/${name}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join('bench', `${name}.ts`)], {
    stdio: 'inherit',
  });
  if (run.status !== 0) failed.push(name);
}

const results: Record<string, BenchmarkResult> = {};
for (const name of KNOWN) {
  try {
    results[name] = JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as BenchmarkResult;
  } catch {
    // Never run on this checkout: left out.
  }
}
writeFileSync(
  join(RESULTS_DIR, 'all.json'),
  `${JSON.stringify({ gathered_at: new Date().toISOString(), benchmarks: results }, null, 2)}\n`,
);

console.log('\n| benchmark | ratio | value | target | measured |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, result] of Object.entries(results)) {
  for (const [ratio, value] of Object.entries(result.ratios ?? {})) {
    const target = result.targets?.[ratio];
    console.log(
      `| ${name} | ${ratio} | ${String(value)} | ${target === undefined ? '' : String(target)} | ${result.measured_at?.slice(0, 10) ?? ''} |`,
    );
  }
}
console.log(`\nwrote ${join(RESULTS_DIR, 'all.json')}`);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
