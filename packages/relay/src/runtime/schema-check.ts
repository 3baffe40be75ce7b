import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { schemaStatus } from '@rims/outbox';
import { RelaySchemaError } from '../errors.js';

/**
 * Refuses a database whose outbox schema is missing or lacks a migration this release needs.
 *
 * @throws {RelaySchemaError} naming the schema and the command that fixes it
 */
export async function checkSchema(pool: pg.Pool, schema: string): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const status = await schemaStatus(db, { schema });
  if (status.version === 0) {
    throw new RelaySchemaError(
      `schema ${schema} has no outbox: run \`rims-relay migrate\` (or migrate() from @rims/outbox) as the schema owner first`,
    );
  }
  if (status.pending.length > 0) {
    throw new RelaySchemaError(
      `schema ${schema} lacks migration(s) ${status.pending.join(', ')} that this relay needs: run \`rims-relay migrate\` (or migrate() from @rims/outbox) as the schema owner`,
    );
  }
}
