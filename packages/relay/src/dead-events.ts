import type { Pool } from 'pg';
import { outboxSchemaName, outboxWakeChannel } from '@rims/outbox';
import { DeadEventNotFoundError, RelayConfigError } from './errors.js';
import { relaySql, type Queryable } from './queries/index.js';
import { inTransaction } from './transaction.js';

/**
 * A parked event, as `rims-relay dead list` shows it.
 *
 * @example for (const event of await listDeadEvents(pool)) console.log(event.id, event.lastError);
 */
export interface DeadEvent {
  /** Insertion order in the outbox. */
  readonly position: string;
  /** The CloudEvent id: what `dead retry` takes. */
  readonly id: string;
  readonly subject: string;
  readonly sequence: string;
  readonly type: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly deadAt: Date;
}

/**
 * Options of the dead-event functions.
 *
 * @example await listDeadEvents(pool, { schema: 'outbox_eu' })
 */
export interface DeadEventOptions {
  /** Schema of the outbox tables; default `rims_outbox`. */
  schema?: string;
}

/**
 * Lists events parked as dead, oldest first.
 *
 * @example
 * const dead = await listDeadEvents(pool, { limit: 50 });
 * for (const event of dead) console.log(event.id, event.lastError);
 */
export async function listDeadEvents(
  db: Queryable,
  options: DeadEventOptions & { limit?: number } = {},
): Promise<DeadEvent[]> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RelayConfigError(`limit ${String(limit)} is not a positive whole number`);
  }
  const sql = relaySql(outboxSchemaName(options.schema));
  const rows = (await sql.listDead.run(db, [limit])).rows;
  return rows.map((row) => ({
    position: row.position,
    id: row.id,
    subject: row.subject,
    sequence: row.sequence,
    type: row.type,
    attempts: row.attempts,
    lastError: row.last_error,
    deadAt: row.dead_at,
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Puts dead events back in the queue with a fresh attempt budget and wakes the relays: the given
 * event ids, or every dead event with `'all'`. Fix the cause first (upgrade the relay for a newer
 * event type, correct the row), or the event is parked again after its attempts.
 *
 * Retried events are published after any later events of their subject that were published
 * meanwhile; consumers that apply only higher sequences (the warehouse does) are unaffected.
 *
 * @returns the ids retried
 * @throws {DeadEventNotFoundError} when a given id is not a dead event (nothing is retried then)
 * @example
 * await retryDeadEvents(pool, ['0b4e...']);
 * await retryDeadEvents(pool, 'all');
 */
export async function retryDeadEvents(
  pool: Pool,
  ids: readonly string[] | 'all',
  options: DeadEventOptions = {},
): Promise<string[]> {
  const schema = outboxSchemaName(options.schema);
  if (ids !== 'all') {
    const bad = ids.filter((id) => !UUID.test(id));
    if (bad.length > 0) {
      throw new RelayConfigError(
        `${bad.map((id) => `'${id}'`).join(', ')} is not an event id; pass the UUID shown by \`rims-relay dead list\`, or --all`,
      );
    }
    if (ids.length === 0) return [];
  }
  const sql = relaySql(schema);
  return inTransaction(pool, async (client) => {
    const retried = (await sql.retryDead.run(client, [ids === 'all' ? null : ids])).rows.map((row) => row.id);
    if (ids !== 'all') {
      const missing = ids.filter((id) => !retried.includes(id.toLowerCase()));
      if (missing.length > 0) throw new DeadEventNotFoundError(missing);
    }
    if (retried.length > 0) await sql.wakeRelays.run(client, [outboxWakeChannel(schema)]);
    return retried;
  });
}
