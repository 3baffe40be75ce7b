import { EventValidationError, RimsError, type ValidationIssue } from '@rims/schemas';

/**
 * `enqueue` was given invalid events. Nothing was written; the caller's transaction is untouched
 * (let the error propagate and it rolls back with the state change).
 *
 * @example
 * catch (error) {
 *   if (error instanceof OutboxValidationError) log.warn(error.issues); // [{ path: '[1].data.quantity', ... }]
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

/** A migration already applied to the database differs from the file this package ships. */
export class OutboxMigrationError extends RimsError {
  readonly code = 'RIMS_OUTBOX_MIGRATION';
}
