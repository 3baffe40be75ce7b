/**
 * Per-test-file services for vitest: a database of the file's own and Pub/Sub on the run's emulator.
 * The global setup (`@rims/test-harness/global-setup`) finds the services once per run.
 */
import { inject } from 'vitest';
import type { HarnessContext } from './context.js';

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
