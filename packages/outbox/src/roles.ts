import { sql, type Kysely } from 'kysely';
import { SqlTemplateError, readSql, renderSql } from '@rims/sql';
import { OutboxConfigError, OutboxRoleMissingError } from './errors.js';
import { outboxSchemaName } from './schema-name.js';

/** Options of {@link grantOutboxRoles}. */
export interface GrantOptions {
  /** Schema holding the outbox tables; default `rims_outbox`. */
  schema?: string;
  /** Existing role for application code; default `rims_outbox_writer`. */
  writerRole?: string;
  /** Existing role for the relay; default `rims_outbox_relay`. */
  relayRole?: string;
}

/**
 * Grants the least privileges each component needs (sql/postgres/outbox/grant-roles.sql): the
 * writer may only insert events; the relay may read, mark and delete them but never insert. Run it
 * as the schema owner after `migrate`; the roles must already exist.
 *
 * @throws {OutboxConfigError} when the schema or a role name is not a plain identifier
 * @throws {OutboxRoleMissingError} when a role does not exist, naming it and the CREATE ROLE to run
 * @example
 * import { sql } from 'kysely';
 * import { grantOutboxRoles } from '@rims/outbox';
 * // Once per cluster, as a role allowed to create roles:
 * await sql`CREATE ROLE rims_outbox_writer NOLOGIN`.execute(db);
 * await sql`CREATE ROLE rims_outbox_relay NOLOGIN`.execute(db);
 * await grantOutboxRoles(db);
 */
export async function grantOutboxRoles<DB>(db: Kysely<DB>, options: GrantOptions = {}): Promise<void> {
  const schema = outboxSchemaName(options.schema);
  const writerRole = options.writerRole ?? 'rims_outbox_writer';
  const relayRole = options.relayRole ?? 'rims_outbox_relay';
  let text: string;
  try {
    text = renderSql(
      readSql('postgres/outbox/grant-roles.sql'),
      {
        schema,
        writer_role: writerRole,
        relay_role: relayRole,
      },
      'postgres',
    );
  } catch (error) {
    // A role name that is not a plain identifier: a configuration error, like a bad schema name.
    if (error instanceof SqlTemplateError) throw new OutboxConfigError(error.message, { cause: error });
    throw error;
  }
  await checkRolesExist(db, [
    { role: writerRole, option: 'writerRole', grantee: "the application's login role" },
    { role: relayRole, option: 'relayRole', grantee: "the relay's login role" },
  ]);
  await sql.raw(text).execute(db);
}

/** Options of {@link grantBackfillRole}. */
export interface BackfillGrantOptions {
  /** Schema holding the outbox tables; default `rims_outbox`. */
  schema?: string;
  /** Existing role `rims-outbox backfill` runs as; default `rims_outbox_backfill`. */
  role?: string;
}

/**
 * Grants the backfill's role what `rims-outbox backfill` needs in the outbox schema
 * (sql/postgres/outbox/grant-backfill-role.sql): enqueue through `enqueue_events`, take sequence
 * locks, keep its progress; nothing else. Reading the application's tables its query names is for
 * the operator to grant (`GRANT SELECT ON items TO rims_outbox_backfill`).
 *
 * @throws {OutboxConfigError} when the schema or the role name is not a plain identifier
 * @throws {OutboxRoleMissingError} when the role does not exist, naming the CREATE ROLE to run
 * @example
 * import { sql } from 'kysely';
 * import { grantBackfillRole } from '@rims/outbox';
 * await sql`CREATE ROLE rims_outbox_backfill NOLOGIN`.execute(db);
 * await grantBackfillRole(db);
 * await sql`GRANT SELECT ON items TO rims_outbox_backfill`.execute(db);
 */
export async function grantBackfillRole<DB>(
  db: Kysely<DB>,
  options: BackfillGrantOptions = {},
): Promise<void> {
  const schema = outboxSchemaName(options.schema);
  const role = options.role ?? 'rims_outbox_backfill';
  let text: string;
  try {
    text = renderSql(
      readSql('postgres/outbox/grant-backfill-role.sql'),
      { schema, backfill_role: role },
      'postgres',
    );
  } catch (error) {
    if (error instanceof SqlTemplateError) throw new OutboxConfigError(error.message, { cause: error });
    throw error;
  }
  await checkRolesExist(db, [{ role, option: 'role', grantee: "the backfill's login role" }]);
  await sql.raw(text).execute(db);
}

/**
 * Refuses, by name, roles that do not exist. Checked before granting so that nothing is half
 * granted and the caller learns every missing role at once, not PostgreSQL's first one.
 */
async function checkRolesExist<DB>(
  db: Kysely<DB>,
  wanted: readonly { role: string; option: string; grantee: string }[],
): Promise<void> {
  const { rows } = await sql<{ rolname: string }>`
    SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(${wanted.map(({ role }) => role)})`.execute(
    db,
  );
  const existing = new Set(rows.map((row) => row.rolname));
  const missing = wanted.filter(({ role }) => !existing.has(role));
  if (missing.length > 0) throw new OutboxRoleMissingError(missing);
}
