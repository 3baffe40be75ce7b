import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrate } from '@rims/outbox';

/** Runs every @rims/outbox migration on the database at `url`. */
export async function migrateDatabase(url: string): Promise<void> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    await migrate(db);
  } finally {
    await db.destroy();
  }
}
