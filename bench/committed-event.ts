/** The event the outbox and relay benchmarks write and publish: an item committed to an order. */
import { randomUUID } from 'node:crypto';
import type { EventInput } from '@rims/schemas';

/**
 * A `rims.item.committed.v1` event for `subject`, for `orderId` (by default a new one each call).
 *
 * @example outbox.transaction(db, (_trx, events) => Promise.resolve(events.add(committedEvent('item-1'))));
 */
export function committedEvent(
  subject: string,
  orderId: string = randomUUID(),
): EventInput<'rims.item.committed.v1'> {
  return {
    type: 'rims.item.committed.v1',
    subject,
    data: { item_id: subject, order_id: orderId, sku: 'SKU-1', quantity: 1, location_id: 'store-1' },
  };
}
