import type { RimsCloudEvent } from '../src/index.js';

/** A valid committed event as it travels on the wire. */
export function committedEvent(overrides: Partial<RimsCloudEvent<'rims.item.committed.v1'>> = {}) {
  return {
    specversion: '1.0',
    id: '0b9f7c1e-5d2a-4c1e-9a51-0d6f3f6f9a10',
    source: '//rims/app',
    type: 'rims.item.committed.v1',
    subject: 'item-1',
    time: '2026-11-22T10:00:00.123Z',
    sequence: '3',
    datacontenttype: 'application/json',
    data: { item_id: 'item-1', order_id: 'order-9', sku: 'SKU-1', quantity: 2, location_id: 'store-4' },
    ...overrides,
  } satisfies RimsCloudEvent<'rims.item.committed.v1'>;
}
