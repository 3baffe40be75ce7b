import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSql } from '@rims/sql';
import {
  DEFAULT_DATASETS,
  STATEMENT_FOLDERS,
  derivedSqlFiles,
  renderFolder,
  renderStatement,
} from '../src/index.js';

const goldenDir = new URL('./golden/bigquery/', import.meta.url);
const update = process.env.UPDATE_GOLDEN === '1';

/** Compares `text` with the golden file (or, with UPDATE_GOLDEN=1, rewrites it). */
function golden(name: string, text: string): void {
  const file = fileURLToPath(new URL(name, goldenDir));
  if (update) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  expect(
    text,
    `${name} differs from its golden file; review the change, then UPDATE_GOLDEN=1 pnpm exec vitest run packages/merger/test/golden.test.ts`,
  ).toBe(readFileSync(file, 'utf8'));
}

describe('golden BigQuery SQL', () => {
  for (const folder of STATEMENT_FOLDERS) {
    it(`renders every ${folder} statement exactly as reviewed`, () => {
      const statements = renderFolder('bigquery', folder, DEFAULT_DATASETS);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) golden(statement.path, statement.sql);
    });
  }

  it('renders the raw table with hourly partitions and another expiration', () => {
    golden(
      'variants/raw_item_events_hourly_30d.sql',
      renderStatement('bigquery', 'ddl/002_raw_item_events.generated.sql', DEFAULT_DATASETS, {
        partition: 'HOUR',
        partitionExpirationDays: 30,
      }),
    );
  });

  it('quotes other dataset names as identifiers and refuses anything else', () => {
    const sql = renderStatement('bigquery', 'merge/040_item_commitment_state.sql', {
      raw: 'eu_raw',
      core: 'eu_core',
      analytics: 'eu_analytics',
    });
    expect(sql).toContain('MERGE `eu_core`.item_commitment_state AS t');
    expect(sql).toContain('FROM `eu_raw`.item_events');
    expect(() =>
      renderStatement('bigquery', 'merge/040_item_commitment_state.sql', {
        ...DEFAULT_DATASETS,
        raw: 'x`; DROP',
      }),
    ).toThrow(/not a plain bigquery identifier/);
  });
});

describe('SQL derived from @rims/schemas', () => {
  it('is up to date (run `pnpm generate` when this fails)', () => {
    for (const [path, content] of derivedSqlFiles()) expect(readSql(path), path).toBe(content);
  });
});
