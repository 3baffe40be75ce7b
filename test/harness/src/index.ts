/**
 * The test harness: real PostgreSQL and the real Pub/Sub emulator, found or started for each run.
 * This entry has no vitest dependency (benchmarks and the demo use it); test files use
 * `@rims/test-harness/vitest` for per-file databases and Pub/Sub.
 */
export type { HarnessContext } from './context.js';
export { HarnessError } from './errors.js';
export { freePort } from './free-port.js';
export { waitFor, type WaitOptions } from './wait-for.js';
export { containerRuntimeAvailable } from './docker.js';
export {
  LOCAL_POSTGRES_URL,
  resolvePostgres,
  connectError,
  withDatabase,
  uniqueDatabaseName,
  createDatabase,
  dropDatabase,
  dropAbandonedDatabases,
  droppablePool,
  type PostgresService,
} from './postgres.js';
export { migrateDatabase } from './migrated-database.js';
export {
  EMULATOR_PROJECT_ID,
  resolvePubSubEmulator,
  startPubSubEmulator,
  gcloudEmulatorAvailable,
  type PubSubEmulator,
  type ManagedPubSubEmulator,
} from './pubsub-emulator.js';
export { emulatorClientConfig } from './emulator-client-config.js';
export {
  startThrowawayPostgres,
  destroyAbandonedServers,
  type ThrowawayPostgres,
} from './throwaway-postgres.js';
export { makeScratchDirectory, removeAbandonedScratchDirectories } from './scratch-directory.js';
export { spawnNode, type NodeProcess } from './child-process.js';
export { readDockerfile, runDeploy, type Dockerfile } from './dockerfile.js';
export { refuseReconnects, startFaultProxy, type FaultProxy, type Fault } from './fault-proxy.js';
export { seededRandom } from './seeded-random.js';
