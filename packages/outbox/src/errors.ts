import { EventValidationError, RimsError, type ValidationIssue } from '@rims/schemas';
import { PG_ERROR, pgErrorCode } from './postgres-errors.js';

/**
 * `enqueue` was given invalid events. Nothing was written; the caller's transaction is untouched
 * (let the error propagate and it rolls back with the state change).
 *
 * @example
 * try {
 *   await db.transaction().execute((trx) => outbox.enqueue(trx, events));
 * } catch (error) {
 *   if (error instanceof OutboxValidationError) logger.warn(error.issues); // [{ path: '[1].data.quantity', ... }]
 *   else throw error;
 * }
 */
export class OutboxValidationError extends EventValidationError {
  override readonly code = 'RIMS_OUTBOX_VALIDATION';

  constructor(issues: readonly ValidationIssue[]) {
    super(issues, { summary: 'Invalid outbox event' });
  }
}

/** The outbox was used in a way that cannot keep its guarantees, such as enqueueing outside a transaction. */
export class OutboxUsageError extends RimsError {
  readonly code = 'RIMS_OUTBOX_USAGE';
}

/** An option passed to `createOutbox` or `migrate` is not acceptable; the message names it and the fix. */
export class OutboxConfigError extends RimsError {
  readonly code = 'RIMS_OUTBOX_CONFIG';
}

/** The database schema is not at a version this package can use (missing, too old, or newer and breaking). */
export class OutboxSchemaVersionError extends RimsError {
  readonly code = 'RIMS_OUTBOX_SCHEMA_VERSION';
}

/**
 * What a failed outbox write throws: a missing outbox schema or function (a database never
 * migrated, or migrated by an older release) becomes an {@link OutboxSchemaVersionError} that
 * names `migrate`; any other error is returned as it is.
 */
export function explainMissingOutbox(error: unknown, schema: string): unknown {
  const code = pgErrorCode(error);
  if (code !== PG_ERROR.invalidSchemaName && code !== PG_ERROR.undefinedFunction) return error;
  return new OutboxSchemaVersionError(
    `the outbox is not in schema "${schema}" (${(error as Error).message}): run \`await migrate(db, { schema: '${schema}' })\` or \`rims-outbox migrate\` as the schema's owner, or pass the schema you migrated to createOutbox`,
    { cause: error },
  );
}

/** A migration already applied to the database differs from the file this package ships. */
export class OutboxMigrationError extends RimsError {
  readonly code = 'RIMS_OUTBOX_MIGRATION';
}

/**
 * `grantOutboxRoles` was asked to grant to roles that do not exist. Roles are cluster-wide and
 * creating them takes the CREATEROLE privilege, which the schema owner running the grants often
 * lacks, so this package never creates them: the message gives the statements to run first.
 *
 * @example
 * try {
 *   await grantOutboxRoles(db);
 * } catch (error) {
 *   if (error instanceof OutboxRoleMissingError) console.error(error.roles); // ['rims_outbox_writer']
 * }
 */
export class OutboxRoleMissingError extends RimsError {
  readonly code = 'RIMS_OUTBOX_ROLE_MISSING';
  /** The roles that do not exist, in the order writer, relay. */
  readonly roles: readonly string[];

  constructor(missing: readonly { role: string; option: string; grantee: string }[]) {
    const named = missing.map(({ role, option }) => `role "${role}" (${option})`).join(' and ');
    const create = missing.map(({ role }) => `CREATE ROLE ${role} NOLOGIN;`).join(' ');
    const grantees = missing.map(({ role, grantee }) => `${grantee} (GRANT ${role} TO <login role>)`);
    super(
      `${named} ${missing.length === 1 ? 'does' : 'do'} not exist; create ${missing.length === 1 ? 'it' : 'them'} first, as a role allowed to create roles: ${create} then grant ${missing.length === 1 ? 'it' : 'each'} to ${grantees.join(' and ')}`,
    );
    this.roles = missing.map(({ role }) => role);
  }
}

/**
 * A backfill's `--query` cannot be used: not exactly one SELECT, a statement PostgreSQL refuses, or
 * columns other than item_id, status, order_id, sku, quantity and location_id. The message names
 * the flag or the column and the fix.
 *
 * @example
 * try {
 *   await runBackfill({ pool, query: 'DELETE FROM items' });
 * } catch (error) {
 *   if (error instanceof BackfillQueryError) console.error(error.message); // --query must be exactly one SELECT ...
 * }
 */
export class BackfillQueryError extends RimsError {
  readonly code = 'RIMS_OUTBOX_BACKFILL_QUERY';
}

/**
 * `--resume` cannot continue: there is no saved progress under the name, or it was saved for a
 * different query or different filters.
 */
export class BackfillResumeError extends RimsError {
  readonly code = 'RIMS_OUTBOX_BACKFILL_RESUME';
}
