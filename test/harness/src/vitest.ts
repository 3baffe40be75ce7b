/**
 * Per-test-file services for vitest: a database of the file's own, Pub/Sub on the run's emulator and
 * a scratch directory.
 * The global setup (`@rims/test-harness/global-setup`) finds the services once per run.
 */
import { rmSync } from 'node:fs';
import { afterAll, inject } from 'vitest';
import type { HarnessContext } from './context.js';
import { makeScratchDirectory } from './scratch-directory.js';

export { useTestDatabase, type TestDatabase } from './test-database.js';
export { useTestPubSub, type TestPubSub } from './test-pubsub.js';
export * from './index.js';

/**
 * What the global setup found (PostgreSQL, its migrated template, the emulator), for tests that
 * manage databases or emulators of their own.
 *
 * @example const { postgresUrl, templateDatabase } = harnessContext();
 */
export function harnessContext(): HarnessContext {
  return inject('rims');
}

/**
 * A scratch directory of the calling test file ({@link makeScratchDirectory}), made now and removed
 * after the file's tests.
 *
 * @example const dir = useScratchDirectory('merger-cli'); // join(dir, 'warehouse.duckdb'), ...
 */
export function useScratchDirectory(label: string): string {
  const dir = makeScratchDirectory(label);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
