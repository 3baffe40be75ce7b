import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import './context.js';
import { createDatabase, droppablePool, dropDatabase, uniqueDatabaseName, withDatabase } from './postgres.js';

/** A database of one test file's own, dropped after the file. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A pool on the database (max 20 connections). */
  readonly pool: pg.Pool;
  /** A kysely instance over {@link pool}, typed as the caller needs. */
  kysely<DB>(): Kysely<DB>;
}

/**
 * Gives the calling test file a database of its own: a copy of the migrated template (default) or
 * an empty one (`migrated: false`). Use the returned object inside tests, not at module load.
 *
 * @example
 * const database = useTestDatabase();
 * it('...', async () => { await database.kysely<Db>().selectFrom('items')... });
 */
export function useTestDatabase(options: { migrated?: boolean; label?: string } = {}): TestDatabase {
  let state: { name: string; url: string; pool: pg.Pool; kysely: Kysely<unknown> } | undefined;
  let adminUrl = '';
  const ready = () => {
    if (!state) throw new Error('useTestDatabase: the database is ready only inside tests and hooks');
    return state;
  };

  beforeAll(async () => {
    const context = inject('rims');
    adminUrl = context.postgresUrl;
    const name = uniqueDatabaseName(options.label ?? 'db');
    await createDatabase(adminUrl, name, options.migrated === false ? undefined : context.templateDatabase);
    const url = withDatabase(adminUrl, name);
    const pool = droppablePool(url, 20);
    state = { name, url, pool, kysely: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }) };
  });

  afterAll(async () => {
    if (!state) return;
    const { kysely, name } = state;
    state = undefined;
    await kysely.destroy();
    await dropDatabase(adminUrl, name);
  });

  return {
    get name() {
      return ready().name;
    },
    get url() {
      return ready().url;
    },
    get pool() {
      return ready().pool;
    },
    kysely<DB>() {
      return ready().kysely as Kysely<DB>;
    },
  };
}
