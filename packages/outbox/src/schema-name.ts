import { SqlTemplateError, assertIdentifier } from '@rims/sql';
import { OutboxConfigError } from './errors.js';

/** The PostgreSQL schema holding the outbox tables unless `schema` says otherwise. */
export const DEFAULT_SCHEMA = 'rims_outbox';

/**
 * Checks a configured schema name. It is substituted into SQL as a quoted identifier, so it must be
 * a plain identifier: never pass user input here.
 *
 * @throws {OutboxConfigError} naming the value and the accepted form
 */
export function outboxSchemaName(schema: string | undefined): string {
  const name = schema ?? DEFAULT_SCHEMA;
  try {
    assertIdentifier(name, 'schema', 'postgres');
  } catch (error) {
    if (error instanceof SqlTemplateError) throw new OutboxConfigError(error.message, { cause: error });
    throw error;
  }
  if (name.length > 58) {
    throw new OutboxConfigError(
      `schema '${name}' is longer than 58 characters; its wake channel must fit in 63`,
    );
  }
  return name;
}

/**
 * The LISTEN/NOTIFY channel enqueue signals at commit, for relays to wake on (only while a relay
 * waits for a wake-up: see migration 0003_relay_waiting).
 *
 * @example
 * import pg from 'pg';
 * import { outboxWakeChannel } from '@rims/outbox';
 * const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
 * await client.connect();
 * await client.query(`LISTEN "${outboxWakeChannel('rims_outbox')}"`);
 */
export function outboxWakeChannel(schema: string): string {
  return `${outboxSchemaName(schema)}_wake`;
}
