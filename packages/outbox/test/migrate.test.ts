import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import {
  OutboxConfigError,
  OutboxMigrationError,
  OutboxSchemaVersionError,
  bundledMigrations,
  createOutbox,
  migrate,
  schemaStatus,
} from '../src/index.js';
import { committed } from './app-schema.js';

const database = useTestDatabase({ migrated: false, label: 'migrate' });
const newest = bundledMigrations().at(-1)?.version ?? 0;

async function tables(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`.execute(
    db,
  );
  return result.rows.map((row) => row.table_name);
}

describe('migrate', () => {
  it('creates the schema once and is a no-op afterwards', async () => {
    const db = database.kysely<unknown>();
    expect(await schemaStatus(db, { schema: 'first' })).toMatchObject({
      version: 0,
      pending: bundledMigrations().map((m) => m.version),
    });
    const log: string[] = [];
    const result = await migrate(db, { schema: 'first', log: (line) => log.push(line) });
    expect(result.applied).toEqual(bundledMigrations().map((m) => m.version));
    expect(result.version).toBe(newest);
    expect(log[0]).toBe('applied migration 0001_outbox to first');
    expect(await tables(db, 'first')).toEqual(
      expect.arrayContaining(['events', 'schema_migrations', 'subject_sequences']),
    );

    const again = await migrate(db, { schema: 'first' });
    expect(again.applied).toEqual([]);
    expect(await schemaStatus(db, { schema: 'first' })).toMatchObject({ version: newest, pending: [] });
  });

  it('is safe when several processes run it at once', async () => {
    const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: database.url, max: 2 }));
    const dbs = pools.map((pool) => new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }));
    try {
      const results = await Promise.all(dbs.map((db) => migrate(db, { schema: 'racing' })));
      expect(results.flatMap((result) => result.applied).sort()).toEqual(
        bundledMigrations().map((m) => m.version),
      );
      const ledger = await sql<{ n: string }>`SELECT count(*) AS n FROM racing.schema_migrations`.execute(
        database.kysely(),
      );
      expect(Number(ledger.rows[0]?.n)).toBe(bundledMigrations().length);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });

  it('puts the tables in the configured schema, where the outbox then writes', async () => {
    const db = database.kysely<unknown>();
    await migrate(db, { schema: 'outbox_eu' });
    const outbox = createOutbox({ source: '//rims/eu', schema: 'outbox_eu' });
    await db.transaction().execute((trx) => outbox.enqueue(trx, committed('item-eu')));
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox_eu.events`.execute(db);
    expect(Number(rows.rows[0]?.n)).toBe(1);
  });

  it('rejects a schema name that is not a plain identifier, naming the fix', async () => {
    await expect(migrate(database.kysely(), { schema: 'rims; DROP TABLE x' })).rejects.toThrow(
      OutboxConfigError,
    );
    await expect(migrate(database.kysely(), { schema: 'Rims-Outbox' })).rejects.toThrow(
      /lower-case letters, digits and underscores/,
    );
    expect(() => createOutbox({ source: '//rims/app', schema: '1st' })).toThrow(OutboxConfigError);
  });

  it('refuses a database migrated by a newer release with a breaking change', async () => {
    const db = database.kysely<unknown>();
    await migrate(db, { schema: 'future' });
    await sql`INSERT INTO future.schema_migrations (version, name, checksum, breaking)
              VALUES (${newest + 1}, 'additive', 'x', false)`.execute(db);
    expect((await migrate(db, { schema: 'future' })).applied, 'a newer additive change is fine').toEqual([]);

    await sql`INSERT INTO future.schema_migrations (version, name, checksum, breaking)
              VALUES (${newest + 2}, 'split_events', 'y', true)`.execute(db);
    await expect(migrate(db, { schema: 'future' })).rejects.toThrow(OutboxSchemaVersionError);
    await expect(schemaStatus(db, { schema: 'future' })).rejects.toThrow(
      /split_events.*Upgrade @rims\/outbox/,
    );
  });

  it('notices an applied migration that was edited afterwards', async () => {
    const db = database.kysely<unknown>();
    await migrate(db, { schema: 'edited' });
    await sql`UPDATE edited.schema_migrations SET checksum = 'changed' WHERE version = 1`.execute(db);
    await expect(migrate(db, { schema: 'edited' })).rejects.toThrow(OutboxMigrationError);
    await expect(migrate(db, { schema: 'edited' })).rejects.toThrow(/never be edited/);
  });
});
