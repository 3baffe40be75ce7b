/**
 * @rims/outbox: write a RIMS state change and its CloudEvent in one PostgreSQL transaction.
 *
 * @example
 * import { migrate, createOutbox } from '@rims/outbox';
 * await migrate(db);
 * const outbox = createOutbox({ source: '//rims/app' });
 * await db.transaction().execute(async (trx) => {
 *   await trx.updateTable('items').set({ status: 'committed' }).where('id', '=', itemId).execute();
 *   await outbox.enqueue(trx, { type: 'rims.item.committed.v1', subject: itemId, data });
 * });
 */
export { createOutbox, type Outbox, type OutboxOptions, type EnqueuedEvent } from './outbox.js';
export type { OutboxTransaction } from './queries/enqueue.js';
export type { OutboxEvents, OutboxTransactionCallback, OutboxTransactionOptions } from './transaction.js';
export {
  migrate,
  schemaStatus,
  bundledMigrations,
  type Migration,
  type MigrateOptions,
  type MigrateResult,
  type SchemaStatus,
} from './migrate.js';
export {
  grantOutboxRoles,
  grantBackfillRole,
  type GrantOptions,
  type BackfillGrantOptions,
} from './roles.js';
export {
  runBackfill,
  type BackfillOptions,
  type BackfillProgress,
  type BackfillResult,
} from './backfill/backfill.js';
export type { InvalidItem } from './backfill/snapshot-events.js';
export {
  OUTBOX_CLI_SETTINGS,
  flagOf as outboxCliFlagOf,
  outboxCliConfigSchema,
  type OutboxCliConfig,
} from './cli/config.js';
export { DEFAULT_SCHEMA, outboxSchemaName, outboxWakeChannel } from './schema-name.js';
export {
  OutboxValidationError,
  OutboxUsageError,
  OutboxConfigError,
  OutboxSchemaVersionError,
  OutboxMigrationError,
  OutboxRoleMissingError,
  BackfillQueryError,
  BackfillResumeError,
} from './errors.js';
export { PG_ERROR, pgErrorCode } from './postgres-errors.js';
export type { EventInput, ValidationIssue } from '@rims/schemas';
