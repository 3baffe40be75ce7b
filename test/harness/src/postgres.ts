import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { containerRuntimeAvailable } from './docker.js';
import { HarnessError } from './errors.js';
import { ownerIsGone, ownerTag } from './owner-tag.js';

/** Where tests find PostgreSQL when DATABASE_URL is not set. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A PostgreSQL server the tests may create and drop databases on. */
export interface PostgresService {
  /** Connection URL of a maintenance database on the server (used to create and drop databases). */
  readonly url: string;
  readonly origin: 'DATABASE_URL' | 'local' | 'testcontainers';
  stop(): Promise<void>;
}

/**
 * Finds PostgreSQL: `DATABASE_URL` if set, else 127.0.0.1:5432, else a container started with
 * testcontainers when a container runtime answers.
 *
 * @throws {HarnessError} naming all three when none works
 */
export async function resolvePostgres(env: NodeJS.ProcessEnv = process.env): Promise<PostgresService> {
  const fromEnv = env.DATABASE_URL;
  if (fromEnv) {
    const failure = await connectError(fromEnv);
    if (failure)
      throw new HarnessError(
        `DATABASE_URL=${redact(fromEnv)} is set but does not answer: ${failure.message}`,
      );
    return { url: fromEnv, origin: 'DATABASE_URL', stop: () => Promise.resolve() };
  }

  const localFailure = await connectError(LOCAL_POSTGRES_URL);
  if (!localFailure) return { url: LOCAL_POSTGRES_URL, origin: 'local', stop: () => Promise.resolve() };

  if (await containerRuntimeAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return {
      url: container.getConnectionUri(),
      origin: 'testcontainers',
      stop: async () => {
        await container.stop();
      },
    };
  }

  throw new HarnessError(
    [
      'No PostgreSQL for the tests. Tried, in order:',
      '  1. DATABASE_URL: not set',
      `  2. ${LOCAL_POSTGRES_URL}: ${localFailure.message}`,
      '  3. testcontainers: no container runtime (Docker or Podman) answers',
      'Fix: start PostgreSQL locally (pg_ctlcluster <version> main start), set DATABASE_URL, or start Docker.',
    ].join('\n'),
  );
}

/** Returns why `url` cannot be connected to, or undefined when it can. */
export async function connectError(url: string, timeoutMs = 3_000): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A database name unique to this call: `rims_t_<label>_<random>`, at most 63 characters. */
export function uniqueDatabaseName(label: string): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return `rims_t_${clean}_${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a database, optionally as a copy of `template`. Names come from {@link uniqueDatabaseName}.
 * The database's comment records this process ({@link ownerTag}), so that a later run drops it
 * if this one is killed before dropping it ({@link dropAbandonedDatabases}).
 */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    const from = template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : '';
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${from}`);
    await client.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(ownerTag())}`);
  });
}

/**
 * Drops the test databases (`rims_t_*`) that runs killed before their teardown left on the server:
 * those whose comment names a process of this machine that is gone. Another machine's, a live
 * run's, and untagged ones are kept. Returns the names dropped.
 *
 * @example await dropAbandonedDatabases(LOCAL_POSTGRES_URL); // at the start of a run
 */
export async function dropAbandonedDatabases(adminUrl: string): Promise<string[]> {
  const dropped: string[] = [];
  await withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ name: string; tag: string | null }>(
      `SELECT datname AS name, shobj_description(oid, 'pg_database') AS tag
       FROM pg_database WHERE datname LIKE 'rims\\_t\\_%'`,
    );
    for (const { name, tag } of rows) {
      if (!ownerIsGone(tag)) continue;
      await client.query(dropStatement(name));
      dropped.push(name);
    }
  });
  return dropped;
}

/**
 * A connection pool for a database the test drops when done. pg's `Pool.end()` resolves before its
 * clients have finished closing, so `DROP DATABASE ... WITH (FORCE)` right after can terminate them
 * mid-close; their FATAL 57P01 then arrives as a pool 'error', which is expected once the pool is
 * ending and must not crash the run. Any other pool error is thrown.
 *
 * @example const pool = droppablePool(url, 10); ...; await pool.end(); await dropDatabase(adminUrl, name);
 */
export function droppablePool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', (error) => {
    if (!pool.ending) throw error;
  });
  return pool;
}

/** Drops a database, disconnecting whoever is still connected to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query(dropStatement(name));
  });
}

/** Drops database `name` if it exists, disconnecting whoever is still connected to it. */
function dropStatement(name: string): string {
  return `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`;
}

async function withAdmin(adminUrl: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
