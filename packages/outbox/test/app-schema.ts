import { sql, type Kysely } from 'kysely';

/** The slice of a RIMS application database the tests change alongside the outbox. */
export interface AppDb {
  items: { id: string; status: string };
}

/** Creates the application's `items` table (once per database) with the given item ids. */
export async function createItems(db: Kysely<AppDb>, ids: readonly string[]): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS items (id text PRIMARY KEY, status text NOT NULL)`.execute(db);
  if (ids.length > 0) {
    await db
      .insertInto('items')
      .values(ids.map((id) => ({ id, status: 'available' })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
}

/** A valid committed event for `itemId`. */
export function committed(itemId: string, orderId = 'order-1') {
  return {
    type: 'rims.item.committed.v1' as const,
    subject: itemId,
    data: { item_id: itemId, order_id: orderId, sku: 'SKU-1', quantity: 1, location_id: 'store-1' },
  };
}

/** Events stored for `subject`, in sequence order. */
export async function storedEvents(db: Kysely<AppDb>, subject: string) {
  const result = await sql<{
    id: string;
    sequence: string;
    type: string;
    source: string;
    time: Date;
    data: unknown;
    traceparent: string | null;
  }>`SELECT id, sequence, type, source, time, data, traceparent FROM rims_outbox.events
     WHERE subject = ${subject} ORDER BY sequence`.execute(db);
  return result.rows.map((row) => ({ ...row, sequence: Number(row.sequence) }));
}
