/**
 * `outbox.transaction`: a kysely transaction whose events are written by the message that commits
 * it, so they cost no round trip of their own. The callback gets an ordinary kysely `Transaction`
 * and an `events` collector; `events.add` validates at once, and the events are enqueued by
 * `enqueue_event` (one) or `enqueue_events` (several), exactly as `enqueue` does, in the same
 * simple-protocol message as COMMIT.
 *
 * kysely's own TransactionBuilder runs it (BEGIN, the callback, COMMIT, ROLLBACK on any error and
 * the guard against using `trx` afterwards), over the caller's executor (its pool, plugins and
 * log), with a driver of ours that only begins, commits and rolls back on the connection kysely
 * hands it.
 */
import {
  CompiledQuery,
  Kysely,
  type AccessMode,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type IsolationLevel,
  type Transaction,
  type TransactionSettings,
} from 'kysely';
import type { EventInput } from '@rims/schemas';
import { OutboxUsageError, explainMissingOutbox } from './errors.js';
import { prepareEvents } from './prepare-events.js';
import { enqueueAndCommitQuery, enqueueAndCommitStatements } from './queries/enqueue-and-commit.js';
import type { EnqueueRow } from './queries/enqueue.js';
import { currentTraceparent, traceContextReady } from './trace-context.js';

/** The events of one `outbox.transaction`, written when it commits. */
export interface OutboxEvents {
  /**
   * Validates `events` now and holds them until COMMIT, which writes them in the same message.
   * Returns their CloudEvent ids, in input order. Their sequence numbers are assigned at COMMIT,
   * in commit order (call `outbox.enqueue(trx, ...)` instead when the transaction needs them).
   *
   * @throws {OutboxValidationError} naming each invalid field; none of `events` is added, and
   *   unless the callback catches it, the transaction rolls back
   * @throws {OutboxUsageError} once the callback has returned
   */
  add(events: EventInput | readonly EventInput[]): string[];
  /** How many events the transaction will write at COMMIT. */
  readonly size: number;
}

/** Options of `outbox.transaction`, the same as kysely's transaction builder takes. */
export interface OutboxTransactionOptions {
  /** `SET TRANSACTION ISOLATION LEVEL`; default: the server's (read committed). */
  isolationLevel?: IsolationLevel;
  /** `read write` or `read only`; default: the server's (read write). */
  accessMode?: AccessMode;
}

/** The callback of `outbox.transaction`: does the application's writes and adds their events. */
export type OutboxTransactionCallback<DB, T> = (trx: Transaction<DB>, events: OutboxEvents) => Promise<T>;

/** What a transaction runner needs from its outbox. */
export interface TransactionRunnerConfig {
  schema: string;
  source: string;
  wakeChannel: string | null;
  captureTrace: boolean;
  maxDataBytes: number;
}

/** Runs `outbox.transaction` calls for one outbox. */
export type TransactionRunner = <DB, T>(
  db: Kysely<DB>,
  callback: OutboxTransactionCallback<DB, T>,
  options?: OutboxTransactionOptions,
) => Promise<T>;

const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** Creates the `transaction` method of an outbox. */
export function createTransactionRunner(config: TransactionRunnerConfig): TransactionRunner {
  const statements = enqueueAndCommitStatements(config.schema);

  return async function transaction<DB, T>(
    db: Kysely<DB>,
    callback: OutboxTransactionCallback<DB, T>,
    options: OutboxTransactionOptions = {},
  ): Promise<T> {
    if (db.isTransaction) {
      throw new OutboxUsageError(
        'outbox.transaction begins and commits a transaction of its own, so it cannot run inside another: pass it your Kysely instance, or, inside db.transaction(), call outbox.enqueue(trx, events)',
      );
    }
    if (config.captureTrace) await traceContextReady();

    const pending: EnqueueRow[] = [];
    let open = true;
    const events: OutboxEvents = {
      add(input) {
        if (!open) {
          throw new OutboxUsageError(
            'events.add was called after its outbox.transaction callback returned; add events before the callback returns (await what it starts)',
          );
        }
        const traceparent = config.captureTrace ? (currentTraceparent() ?? null) : null;
        const rows = prepareEvents(input, config.maxDataBytes, traceparent);
        pending.push(...rows);
        return rows.map((row) => row.id);
      },
      get size() {
        return pending.length;
      },
    };

    const driver = commitDriver(config.schema, () => {
      open = false;
      return pending.length === 0
        ? COMMIT
        : enqueueAndCommitQuery(statements, pending, config.source, config.wakeChannel);
    });
    // Only `driver` differs from `db`; the dialect is used by nothing but `trx.introspection`.
    // getExecutor is marked internal in kysely's typings (peer range >=0.27 <0.30): it carries the
    // caller's pool, plugins and logger, and test/transaction.test.ts fails if that changes.
    const runner = new Kysely<DB>({
      config: { dialect: unavailableDialect },
      dialect: unavailableDialect,
      driver,
      executor: db.getExecutor(),
    });
    let builder = runner.transaction();
    if (options.isolationLevel) builder = builder.setIsolationLevel(options.isolationLevel);
    if (options.accessMode) builder = builder.setAccessMode(options.accessMode);
    try {
      return await builder.execute((trx) => callback(trx, events));
    } finally {
      open = false;
    }
  };
}

/**
 * A kysely driver that only begins, commits (with `commitQuery()`) and rolls back on the connection
 * kysely's TransactionBuilder gives it: connections themselves come from the caller's executor.
 * BEGIN and ROLLBACK are those of kysely's PostgresDriver.
 */
function commitDriver(schema: string, commitQuery: () => CompiledQuery): Driver {
  const notHere = (what: string) => () =>
    Promise.reject(new OutboxUsageError(`${what} is not available on the trx of outbox.transaction`));
  return {
    init: notHere('init'),
    acquireConnection: notHere('a new connection (startTransaction, connection)'),
    releaseConnection: notHere('releaseConnection'),
    destroy: notHere('destroy'),
    async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
      let begin = 'begin';
      if (settings.isolationLevel || settings.accessMode) {
        begin = 'start transaction';
        if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
        if (settings.accessMode) begin += ` ${settings.accessMode}`;
      }
      await connection.executeQuery(CompiledQuery.raw(begin));
    },
    async commitTransaction(connection: DatabaseConnection) {
      try {
        await connection.executeQuery(commitQuery());
      } catch (error) {
        throw explainMissingOutbox(error, schema);
      }
    },
    async rollbackTransaction(connection: DatabaseConnection) {
      await connection.executeQuery(ROLLBACK);
    },
  };
}

const unavailable = (): never => {
  throw new OutboxUsageError(
    'introspection is not available on the trx of outbox.transaction; use db.introspection',
  );
};
const unavailableDialect: Dialect = {
  createDriver: unavailable,
  createQueryCompiler: unavailable,
  createAdapter: unavailable,
  createIntrospector: unavailable,
};
