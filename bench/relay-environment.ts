/** What the relay benchmarks share: a migrated database of their own and a topic on the emulator. */
import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import {
  createDatabase,
  dropDatabase,
  droppablePool,
  emulatorClientConfig,
  migrateDatabase,
  resolvePostgres,
  resolvePubSubEmulator,
  uniqueDatabaseName,
  withDatabase,
} from '@rims/test-harness';

/** A benchmark's PostgreSQL database and Pub/Sub topic; `close()` removes both. */
export interface RelayBenchEnvironment {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly db: Kysely<unknown>;
  readonly pubsub: PubSub;
  readonly topicName: string;
  /** What a relay child process needs to reach the emulator and the topic (see relay-process.ts). */
  readonly relayEnv: Readonly<Record<string, string>>;
  readonly origins: { postgres: string; pubsub: string };
  close(): Promise<void>;
}

/**
 * Finds (or starts) PostgreSQL and the emulator, and prepares a migrated database and a topic.
 * `postgres` replaces the usual server (the soak brings a throw-away one with autovacuum on).
 */
export async function relayBenchEnvironment(
  label: string,
  postgres?: { url: string; origin: string; stop(): Promise<void> },
): Promise<RelayBenchEnvironment> {
  // No GCE metadata server here: stop google-auth-library probing for one (and warning), as the
  // tests and the demo do.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  postgres ??= await resolvePostgres();
  const server = postgres;
  const emulator = await resolvePubSubEmulator();
  const name = uniqueDatabaseName(label);
  await createDatabase(postgres.url, name);
  const url = withDatabase(postgres.url, name);
  await migrateDatabase(url);
  const pool = droppablePool(url, 8);
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const pubsub = new PubSub(emulatorClientConfig(emulator.host, emulator.projectId));
  const topicName = `${label.replaceAll('_', '-')}-${randomUUID().slice(0, 8)}`;
  await pubsub.createTopic(topicName);
  return {
    url,
    pool,
    db,
    pubsub,
    topicName,
    relayEnv: {
      DATABASE_URL: url,
      PUBSUB_EMULATOR_HOST: emulator.host,
      PUBSUB_PROJECT_ID: emulator.projectId,
      PUBSUB_TOPIC: topicName,
    },
    origins: { postgres: postgres.origin, pubsub: emulator.origin },
    close: async () => {
      await pubsub
        .topic(topicName)
        .delete()
        .catch(() => undefined);
      await pubsub.close();
      await db.destroy();
      // Kysely ends the pool only if it used it; a benchmark that queried `pool` alone (the latency
      // one) left idle clients, which the DROP below terminated, crashing the process before the
      // emulator was stopped: two emulators outlived runs of it.
      if (!pool.ending) await pool.end();
      await dropDatabase(postgres.url, name);
      await emulator.stop();
      await server.stop();
    },
  };
}
