import type { EventInput, ValidationIssue } from '@rims/schemas';
import { OutboxValidationError } from '../errors.js';
import type { Outbox } from '../outbox.js';
import type { OutboxTransaction } from '../queries/enqueue.js';

/** An application row as the re-read returns it (reread.sql): ids as text, quantity as bigint text. */
export interface SnapshotRow {
  item_id: string;
  status: string;
  order_id: string | null;
  sku: string | null;
  quantity: string | null;
  location_id: string | null;
}

/** A row the outbox refused, with the fields it named. */
export interface InvalidItem {
  readonly itemId: string;
  readonly issues: readonly ValidationIssue[];
}

/**
 * The snapshot event stating a row as the item's whole state. A NULL column is left out of `data`
 * (the snapshot's optional fields), so an available item needs no order.
 */
export function snapshotEvent(row: SnapshotRow): EventInput<'rims.item.snapshot.v1'> {
  const data: Record<string, unknown> = { item_id: row.item_id, status: row.status };
  if (row.order_id !== null) data.order_id = row.order_id;
  if (row.sku !== null) data.sku = row.sku;
  if (row.quantity !== null) data.quantity = Number(row.quantity);
  if (row.location_id !== null) data.location_id = row.location_id;
  // The outbox validates data against the snapshot schema; this cast only names the type.
  return {
    type: 'rims.item.snapshot.v1',
    subject: row.item_id,
    data: data as EventInput<'rims.item.snapshot.v1'>['data'],
  };
}

/**
 * Enqueues the snapshots through the outbox (its validation, its sequence numbering). Rows the
 * outbox refuses are returned by item, and the others enqueued without them: one bad row in the
 * application must not hold back the rest of its batch.
 */
export async function enqueueSnapshots(
  outbox: Outbox,
  trx: OutboxTransaction,
  rows: readonly SnapshotRow[],
): Promise<{ enqueued: string[]; invalid: InvalidItem[] }> {
  const events = rows.map(snapshotEvent);
  try {
    await outbox.enqueue(trx, events);
    return { enqueued: rows.map((row) => row.item_id), invalid: [] };
  } catch (error) {
    if (!(error instanceof OutboxValidationError)) throw error;
    // Issue paths start with the event's index, such as `[3].data.quantity`.
    const byIndex = new Map<number, ValidationIssue[]>();
    for (const issue of error.issues) {
      const match = /^\[(\d+)\]\.?(.*)$/.exec(issue.path);
      const index = Number(match?.[1] ?? -1);
      byIndex.set(index, [...(byIndex.get(index) ?? []), { ...issue, path: match?.[2] ?? issue.path }]);
    }
    const valid = rows.filter((_, index) => !byIndex.has(index));
    // Validation throws before anything is written, so the transaction can go on with the rest.
    if (valid.length > 0) await outbox.enqueue(trx, valid.map(snapshotEvent));
    return {
      enqueued: valid.map((row) => row.item_id),
      invalid: [...byIndex].map(([index, issues]) => ({
        itemId: rows[index]?.item_id ?? `(event ${String(index)})`,
        issues,
      })),
    };
  }
}
