import type { TestProject } from 'vitest/node';
import './context.js';
import { migrateDatabase } from './migrated-database.js';
import {
  createDatabase,
  dropDatabase,
  resolvePostgres,
  uniqueDatabaseName,
  withDatabase,
} from './postgres.js';
import { resolvePubSubEmulator } from './pubsub-emulator.js';

/**
 * Vitest global setup: finds (or starts) PostgreSQL and the Pub/Sub emulator once per run, prepares
 * a migrated template database, and tears everything down at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [postgres, emulator] = await Promise.all([resolvePostgres(), resolvePubSubEmulator()]);
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
