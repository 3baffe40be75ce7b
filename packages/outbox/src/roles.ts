import { sql, type Kysely } from 'kysely';
import { SqlTemplateError, readSql, renderSql } from '@rims/sql';
import { OutboxConfigError } from './errors.js';
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
 * @example
 * await sql`CREATE ROLE rims_outbox_writer NOLOGIN`.execute(db);
 * await sql`CREATE ROLE rims_outbox_relay NOLOGIN`.execute(db);
 * await grantOutboxRoles(db);
 */
export async function grantOutboxRoles<DB>(db: Kysely<DB>, options: GrantOptions = {}): Promise<void> {
  const schema = outboxSchemaName(options.schema);
  let text: string;
  try {
    text = renderSql(
      readSql('postgres/outbox/grant-roles.sql'),
      {
        schema,
        writer_role: options.writerRole ?? 'rims_outbox_writer',
        relay_role: options.relayRole ?? 'rims_outbox_relay',
      },
      'postgres',
    );
  } catch (error) {
    // A role name that is not a plain identifier: a configuration error, like a bad schema name.
    if (error instanceof SqlTemplateError) throw new OutboxConfigError(error.message, { cause: error });
    throw error;
  }
  await sql.raw(text).execute(db);
}
