/** The event the relay benchmarks write and publish: an item committed to a fresh order. */
import { randomUUID } from 'node:crypto';
import type { EventInput } from '@rims/schemas';

/**
 * A `rims.item.committed.v1` event for `subject`, with a new order id each call.
 *
 * @example outbox.transaction(db, (_trx, events) => Promise.resolve(events.add(committedEvent('item-1'))));
 */
export function committedEvent(subject: string): EventInput<'rims.item.committed.v1'> {
  return {
    type: 'rims.item.committed.v1',
    subject,
    data: { item_id: subject, order_id: randomUUID(), sku: 'SKU-1', quantity: 1, location_id: 'store-1' },
  };
}
