import type { Kysely } from 'kysely';
import { hasNoNul, isWellFormedText, type EventInput } from '@rims/schemas';
import { OutboxConfigError, OutboxUsageError, explainMissingOutbox } from './errors.js';
import { prepareEvents } from './prepare-events.js';
import { enqueueStatements, runEnqueue, type OutboxTransaction } from './queries/enqueue.js';
import { outboxSchemaName, outboxWakeChannel } from './schema-name.js';
import { activeTraceparent, preloadTraceContext } from './trace-context.js';
import {
  createTransactionRunner,
  type OutboxTransactionCallback,
  type OutboxTransactionOptions,
} from './transaction.js';

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  /** CloudEvents `source` of every event, a URI reference such as `//rims/app`. */
  source: string;
  /** Schema holding the outbox tables; default `rims_outbox`. Must match what `migrate` was given. */
  schema?: string;
  /**
   * Wake relays at commit so they publish at once; default true. Only while a relay is idle and waits
   * for a wake-up (it has a row in `relay_waiting`) does the commit NOTIFY: busy relays look for work
   * every few milliseconds anyway, and a NOTIFY serialises committing transactions in PostgreSQL.
   * Off, relays find work by polling alone (up to their poll interval once they are idle).
   */
  notify?: boolean;
  /** Record the active OpenTelemetry span as `traceparent`; default true. */
  traceContext?: boolean;
  /**
   * Largest `data` accepted, in bytes of JSON; default 1,000,000. A Pub/Sub message holds at most
   * 10 MB, so an event over that could never be published.
   */
  maxDataBytes?: number;
}

/** What `enqueue` returns for each event, in input order. */
export interface EnqueuedEvent {
  /** The CloudEvent id (a UUID). */
  readonly id: string;
  /** This subject's sequence number: 1, 2, 3 ... in commit order, without gaps. */
  readonly sequence: number;
}

/** An outbox bound to one schema and source. Create one per process and share it. */
export interface Outbox {
  readonly schema: string;
  readonly source: string;
  /**
   * Writes events inside the caller's transaction. It never begins, commits or rolls back: the
   * events commit with the caller's state change or not at all.
   *
   * @throws {OutboxValidationError} before writing anything, naming each invalid field
   * @throws {OutboxUsageError} when `trx` is not a transaction
   */
  enqueue(trx: OutboxTransaction, events: EventInput | readonly EventInput[]): Promise<EnqueuedEvent[]>;
  /**
   * Runs `callback` in a transaction of its own and writes the events it adds in the same message
   * as COMMIT: the fastest way to write events, one round trip fewer than `enqueue`. Atomic,
   * validated at `events.add`, numbered gaplessly per subject in commit order, and deadlock-free
   * among themselves, as with `enqueue`. Resolves to what `callback` returns, once committed; on
   * any error (the callback's, or the enqueue's at COMMIT) the transaction rolls back and the error
   * is rethrown as is. Needs kysely's `PostgresDialect` (over `pg`); see the README for why and
   * for the other constraints.
   *
   * @throws {OutboxUsageError} when `db` is itself a transaction
   * @example
   * const [eventId] = await outbox.transaction(db, async (trx, events) => {
   *   await trx.updateTable('items').set({ status: 'committed' }).where('id', '=', itemId).execute();
   *   return events.add({
   *     type: 'rims.item.committed.v1',
   *     subject: itemId,
   *     data: { item_id: itemId, order_id: orderId, sku, quantity: 1, location_id: locationId },
   *   });
   * });
   */
  transaction<DB, T>(
    db: Kysely<DB>,
    callback: OutboxTransactionCallback<DB, T>,
    options?: OutboxTransactionOptions,
  ): Promise<T>;
}

const HARD_MAX_DATA_BYTES = 9_000_000;

/**
 * Creates the outbox client application code enqueues events with.
 *
 * @example
 * const outbox = createOutbox({ source: '//rims/app' });
 * await db.transaction().execute(async (trx) => {
 *   await trx.updateTable('items').set({ status: 'committed' }).where('id', '=', itemId).execute();
 *   const [row] = await outbox.enqueue(trx, {
 *     type: 'rims.item.committed.v1',
 *     subject: itemId,
 *     data: { item_id: itemId, order_id: orderId, sku, quantity: 1, location_id: locationId },
 *   });
 * });
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const schema = outboxSchemaName(options.schema);
  const source = checkSource(options.source);
  const maxDataBytes = options.maxDataBytes ?? 1_000_000;
  if (!Number.isInteger(maxDataBytes) || maxDataBytes < 1 || maxDataBytes > HARD_MAX_DATA_BYTES) {
    throw new OutboxConfigError(
      `maxDataBytes ${String(maxDataBytes)} is out of range; use a whole number from 1 to ${String(HARD_MAX_DATA_BYTES)}`,
    );
  }
  const wakeChannel = options.notify === false ? null : outboxWakeChannel(schema);
  const captureTrace = options.traceContext !== false;
  if (captureTrace) preloadTraceContext();
  const statements = enqueueStatements(schema);
  const transaction = createTransactionRunner({ schema, source, wakeChannel, captureTrace, maxDataBytes });

  return {
    schema,
    source,
    transaction,
    async enqueue(trx, events) {
      const list: readonly unknown[] = Array.isArray(events) ? events : [events];
      if (list.length === 0) return [];
      if (!trx.isTransaction) {
        throw new OutboxUsageError(
          'enqueue needs the transaction of your state change, so both commit together: call it as db.transaction().execute((trx) => outbox.enqueue(trx, event))',
        );
      }

      const rows = prepareEvents(events, maxDataBytes, null);

      const traceparent = captureTrace ? ((await activeTraceparent()) ?? null) : null;
      for (const row of rows) row.traceparent = traceparent;

      let sequences: Awaited<ReturnType<typeof runEnqueue>>;
      try {
        sequences = await runEnqueue(trx, statements, rows, source, wakeChannel);
      } catch (error) {
        throw explainMissingOutbox(error, schema);
      }
      return rows.map((row) => {
        const sequence = sequences.get(row.id);
        if (sequence === undefined) throw new Error(`enqueue returned no sequence for event ${row.id}`);
        return { id: row.id, sequence };
      });
    },
  };
}

function checkSource(source: unknown): string {
  if (typeof source !== 'string' || source.length === 0 || /\s/.test(source)) {
    throw new OutboxConfigError(
      `source ${typeof source === 'string' ? `'${source}'` : typeof source} is not a CloudEvents source; pass a URI reference without spaces, such as '//rims/app'`,
    );
  }
  // Text PostgreSQL cannot store: a NUL fails every write, a lone surrogate turns into U+FFFD.
  if (!hasNoNul(source) || !isWellFormedText(source)) {
    throw new OutboxConfigError(
      'source holds U+0000 or a lone UTF-16 surrogate, which PostgreSQL cannot store; pass a URI reference such as //rims/app',
    );
  }
  return source;
}
