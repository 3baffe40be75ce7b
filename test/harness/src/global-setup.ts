import type { TestProject } from 'vitest/node';
import './context.js';
import { migrateDatabase } from './migrated-database.js';
import {
  createDatabase,
  dropAbandonedDatabases,
  dropDatabase,
  resolvePostgres,
  uniqueDatabaseName,
  withDatabase,
} from './postgres.js';
import { resolvePubSubEmulator } from './pubsub-emulator.js';
import { removeAbandonedScratchDirectories } from './scratch-directory.js';
import { destroyAbandonedServers } from './throwaway-postgres.js';

/**
 * Vitest global setup: finds (or starts) PostgreSQL and the Pub/Sub emulator once per run, removes
 * what runs killed before their teardown left behind (their databases, throw-away servers and
 * scratch directories), prepares a migrated template database, and tears everything down at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [postgres, emulator] = await Promise.all([resolvePostgres(), resolvePubSubEmulator()]);
  const leftovers = [
    ...(await dropAbandonedDatabases(postgres.url)),
    ...destroyAbandonedServers(),
    ...removeAbandonedScratchDirectories(),
  ];
  if (leftovers.length > 0) {
    console.log(`harness: removed what killed runs left behind: ${leftovers.join(', ')}`);
  }
  const templateDatabase = uniqueDatabaseName('template');
  await createDatabase(postgres.url, templateDatabase);
  await migrateDatabase(withDatabase(postgres.url, templateDatabase));

  console.log(
    `harness: PostgreSQL (${postgres.origin}), Pub/Sub emulator (${emulator.origin}) at ${emulator.host}`,
  );
  project.provide('rims', {
    postgresUrl: postgres.url,
    postgresOrigin: postgres.origin,
    templateDatabase,
    pubsubEmulatorHost: emulator.host,
    pubsubProjectId: emulator.projectId,
    pubsubOrigin: emulator.origin,
  });

  return async () => {
    await dropDatabase(postgres.url, templateDatabase);
    await emulator.stop();
    await postgres.stop();
  };
}
