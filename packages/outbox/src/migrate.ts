import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { listSql, quoteIdentifier, readSql, renderSql } from '@rims/sql';
import { OutboxMigrationError, OutboxSchemaVersionError } from './errors.js';
import { outboxSchemaName } from './schema-name.js';

/** A numbered SQL migration shipped in `sql/postgres/migrations`. */
export interface Migration {
  /** From the file name: `0002_relay_leases.sql` is version 2. */
  readonly version: number;
  readonly name: string;
  /** SHA-256 of the template text, so a changed file is noticed. */
  readonly checksum: string;
  /**
   * A breaking migration (its file has a `-- rims:breaking` line) means code that does not know it
   * must not run against the database: older releases refuse such a database.
   */
  readonly breaking: boolean;
  readonly template: string;
}

const MIGRATION_FILE = /\/(\d{4})_([a-z0-9_]+)\.sql$/;

let cached: readonly Migration[] | undefined;

/** The migrations this release ships, in version order. */
export function bundledMigrations(): readonly Migration[] {
  cached ??= listSql('postgres/migrations').map((path) => {
    const match = MIGRATION_FILE.exec(path);
    if (!match?.[1] || !match[2])
      throw new OutboxMigrationError(`migration file name '${path}' is not NNNN_name.sql`);
    const template = readSql(path);
    return {
      version: Number(match[1]),
      name: match[2],
      checksum: createHash('sha256').update(template).digest('hex'),
      breaking: /^-- rims:breaking\s*$/m.test(template),
      template,
    };
  });
  return cached;
}

/** Options of {@link migrate} and {@link schemaStatus}. */
export interface MigrateOptions {
  /** Schema holding the outbox tables; default `rims_outbox`. */
  schema?: string;
  /** Receives one line per applied migration. */
  log?: (message: string) => void;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  readonly schema: string;
  /** Versions applied by this call (empty when the database was up to date). */
  readonly applied: readonly number[];
  /** Highest version now recorded in the database. */
  readonly version: number;
}

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
  breaking: boolean;
}

/**
 * Creates or upgrades the outbox schema. Idempotent, and safe when several processes run it at once:
 * every step runs in a transaction holding an advisory lock for the schema.
 *
 * @throws {OutboxSchemaVersionError} when a newer release applied a breaking migration
 * @throws {OutboxMigrationError} when an applied migration differs from the shipped file
 * @example
 * await migrate(db);                          // schema rims_outbox
 * await migrate(db, { schema: 'outbox_eu' }); // a second, separate outbox
 */
export async function migrate<DB>(db: Kysely<DB>, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = outboxSchemaName(options.schema);
  const migrations = bundledMigrations();
  const applied: number[] = [];

  await db.transaction().execute(async (trx) => {
    await lockSchema(trx, schema);
    // IF NOT EXISTS alone is not enough under concurrency (two creators can both pass the check);
    // the advisory lock above is what makes this safe.
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(trx);
    await sql`
      CREATE TABLE IF NOT EXISTS ${sql.id(schema, 'schema_migrations')} (
        version    integer     PRIMARY KEY,
        name       text        NOT NULL,
        checksum   text        NOT NULL,
        breaking   boolean     NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`.execute(trx);
  });

  for (const migration of migrations) {
    await db.transaction().execute(async (trx) => {
      await lockSchema(trx, schema);
      const ledger = await readLedger(trx, schema);
      verifyLedger(schema, ledger, migrations);
      if (ledger.some((row) => row.version === migration.version)) return;
      await sql.raw(renderSql(migration.template, { schema }, 'postgres')).execute(trx);
      await sql`
        INSERT INTO ${sql.id(schema, 'schema_migrations')} (version, name, checksum, breaking)
        VALUES (${migration.version}, ${migration.name}, ${migration.checksum}, ${migration.breaking})`.execute(
        trx,
      );
      applied.push(migration.version);
      options.log?.(
        `applied migration ${String(migration.version).padStart(4, '0')}_${migration.name} to ${schema}`,
      );
    });
  }

  const status = await schemaStatus(db, { schema });
  return { schema, applied, version: status.version };
}

/** Where a database stands relative to this release. */
export interface SchemaStatus {
  readonly schema: string;
  /** Highest applied version, 0 when the schema has never been migrated. */
  readonly version: number;
  /** Versions this release ships that the database does not have yet. */
  readonly pending: readonly number[];
}

/**
 * Reads the migration ledger without changing anything; the relay calls it at start-up.
 *
 * @throws {OutboxSchemaVersionError} when a newer release applied a breaking migration
 * @throws {OutboxMigrationError} when an applied migration differs from the shipped file
 */
export async function schemaStatus<DB>(
  db: Kysely<DB>,
  options: { schema?: string } = {},
): Promise<SchemaStatus> {
  const schema = outboxSchemaName(options.schema);
  const exists = await sql<{ ledger: string | null }>`
    SELECT to_regclass(${`${quoteIdentifier(schema, 'postgres')}.schema_migrations`}) AS ledger`.execute(db);
  const migrations = bundledMigrations();
  if (exists.rows[0]?.ledger == null) {
    return { schema, version: 0, pending: migrations.map((m) => m.version) };
  }
  const ledger = await readLedger(db, schema);
  verifyLedger(schema, ledger, migrations);
  const version = Math.max(0, ...ledger.map((row) => row.version));
  const pending = migrations
    .filter((m) => !ledger.some((row) => row.version === m.version))
    .map((m) => m.version);
  return { schema, version, pending };
}

async function lockSchema<DB>(trx: Kysely<DB>, schema: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`rims-outbox-migrate:${schema}`}, 0))`.execute(
    trx,
  );
}

async function readLedger<DB>(db: Kysely<DB>, schema: string): Promise<LedgerRow[]> {
  const result = await sql<LedgerRow>`
    SELECT version, name, checksum, breaking
    FROM ${sql.id(schema, 'schema_migrations')}
    ORDER BY version`.execute(db);
  return result.rows;
}

function verifyLedger(schema: string, ledger: readonly LedgerRow[], migrations: readonly Migration[]): void {
  const newest = migrations.at(-1)?.version ?? 0;
  const unknownBreaking = ledger.filter((row) => row.version > newest && row.breaking);
  if (unknownBreaking.length > 0) {
    const versions = unknownBreaking.map((row) => `${String(row.version)} (${row.name})`).join(', ');
    throw new OutboxSchemaVersionError(
      `schema ${schema} has breaking migration ${versions} from a newer @rims/outbox; this release knows versions up to ${String(newest)}. Upgrade @rims/outbox (and @rims/relay) before running against this database.`,
    );
  }
  for (const row of ledger) {
    const shipped = migrations.find((m) => m.version === row.version);
    if (shipped && shipped.checksum !== row.checksum) {
      throw new OutboxMigrationError(
        `migration ${String(row.version)} (${row.name}) applied to schema ${schema} differs from the file this release ships; applied migrations must never be edited, add a new one instead`,
      );
    }
  }
}
