import { RimsError } from '@rims/schemas';

/**
 * A warehouse URL, option or flag of @rims/merger is not acceptable; the message names it and the fix.
 *
 * @example
 * try {
 *   parseWarehouseUrl('postgres://x');
 * } catch (error) {
 *   if (error instanceof MergerConfigError) console.error(error.message); // names the accepted forms
 * }
 */
export class MergerConfigError extends RimsError {
  readonly code = 'RIMS_MERGER_CONFIG';
}

/**
 * The warehouse could not be opened or a statement failed. `statement` names the SQL file that
 * failed, when there was one.
 */
export class WarehouseError extends RimsError {
  readonly code: string = 'RIMS_MERGER_WAREHOUSE';
  readonly statement: string | undefined;

  constructor(message: string, options?: ErrorOptions & { statement?: string }) {
    super(message, options);
    this.statement = options?.statement;
  }
}

/** The DuckDB file is open, for writing, in another process (DuckDB allows one writer at a time). */
export class WarehouseLockedError extends WarehouseError {
  override readonly code = 'RIMS_MERGER_WAREHOUSE_LOCKED';
}

/**
 * Another merge run holds the lease, or this run lost it part-way (it lapsed, or expired and another
 * run took it): the chunk in progress is recorded as failed and nothing more is applied. Run again
 * when the other run has finished (or its lease has expired); raise the lease TTL if it lapsed.
 */
export class MergeLeaseError extends RimsError {
  readonly code = 'RIMS_MERGER_LEASE';
}

/**
 * The run was asked to stop (SIGTERM, or its `signal` aborted) and stopped after the statement in
 * hand: the chunk in progress is recorded as failed and the lease given back, so the next run
 * redoes its window.
 */
export class MergeStoppedError extends RimsError {
  readonly code = 'RIMS_MERGER_STOPPED';
}

/**
 * The lander cannot deliver some messages and has nowhere to park them (the subscription has no
 * dead-letter policy), so they stay in the backlog and `--once` cannot drain it.
 */
export class UndeliverableMessagesError extends RimsError {
  readonly code = 'RIMS_MERGER_UNDELIVERABLE';
}
