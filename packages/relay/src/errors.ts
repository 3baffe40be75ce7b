import { RimsError } from '@rims/schemas';

/**
 * An option passed to `createRelay` (or a dead-event function) is not acceptable; the message names it.
 *
 * @example
 * try { createRelay({ batchSize: 0 }); } catch (error) { if (error instanceof RelayConfigError) console.error(error.message); }
 */
export class RelayConfigError extends RimsError {
  readonly code = 'RIMS_RELAY_CONFIG';
}

/**
 * The database is not ready for this relay: the outbox schema is missing or lacks a migration this
 * release needs. Run `rims-relay migrate` (or `migrate` from @rims/outbox) as the schema owner.
 *
 * @example
 * import { migrate } from '@rims/outbox';
 * import { RelaySchemaError } from '@rims/relay';
 * await relay.start().catch(async (error: unknown) => {
 *   if (error instanceof RelaySchemaError) await migrate(db);
 * });
 */
export class RelaySchemaError extends RimsError {
  readonly code = 'RIMS_RELAY_SCHEMA';
}

/**
 * A relay method was called in a state where it cannot run, such as `start()` twice.
 *
 * @example await relay.start(); await relay.start(); // throws RelayStateError: create a new relay instead
 */
export class RelayStateError extends RimsError {
  readonly code = 'RIMS_RELAY_STATE';
}

/**
 * An event can never be published as it is: its row does not decode to a valid CloudEvent, or the
 * message breaks a Pub/Sub limit (10 MB, attribute sizes). It is a permanent failure: the event is
 * parked as dead after the configured number of attempts.
 *
 * @example const kind = classifyFailure(new UnpublishableEventError('too big')); // 'permanent'
 */
export class UnpublishableEventError extends RimsError {
  readonly code = 'RIMS_RELAY_UNPUBLISHABLE';
}

/**
 * Another live relay process registered with the same replica id (`RELAY_REPLICA_ID`). This one
 * takes and renews no lease until that registration expires: two processes under one id would
 * publish the same partitions.
 *
 * @example if (error instanceof ReplicaIdInUseError) console.error('give each replica its own RELAY_REPLICA_ID');
 */
export class ReplicaIdInUseError extends RimsError {
  readonly code = 'RIMS_RELAY_REPLICA_ID_IN_USE';
}

/**
 * `rims-relay dead retry <id>` named an event that does not exist or is not dead.
 *
 * @example
 * try {
 *   await retryDeadEvents(pool, ['0b4e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b']);
 * } catch (error) {
 *   if (error instanceof DeadEventNotFoundError) console.log(error.ids);
 * }
 */
export class DeadEventNotFoundError extends RimsError {
  readonly code = 'RIMS_RELAY_DEAD_NOT_FOUND';
  /** The ids that matched no dead event. */
  readonly ids: readonly string[];

  constructor(ids: readonly string[]) {
    super(
      `no dead event with id ${ids.join(', ')}; list them with \`rims-relay dead list\` (an id is the event's CloudEvent id, a UUID)`,
    );
    this.ids = ids;
  }
}
