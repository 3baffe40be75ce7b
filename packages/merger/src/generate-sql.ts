/**
 * Writes the SQL derived from @rims/schemas into the @rims/sql package (sql/bigquery, sql/duckdb).
 * Run through `pnpm generate`; a test fails when the checked-in files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { derivedSqlFiles } from './sql-generation/index.js';

const sqlRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'sql');
for (const [path, content] of derivedSqlFiles()) {
  const target = join(sqlRoot, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}
