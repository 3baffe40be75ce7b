import { describe, expect, it } from 'vitest';
import { toPubSubMessage } from '@rims/schemas';
import { toRawRow } from '../src/index.js';
import { itemEvent } from './helpers.js';

const SUBSCRIPTION = 'projects/rims-test/subscriptions/rims-item-events-raw';
const publishTime = new Date('2026-11-22T10:00:00.123Z');

function land(body: unknown, extra: { attributes?: Record<string, string>; orderingKey?: string } = {}) {
  return toRawRow(
    {
      data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      attributes: extra.attributes ?? {},
      messageId: '42',
      publishTime,
      ...(extra.orderingKey ? { orderingKey: extra.orderingKey } : {}),
    },
    SUBSCRIPTION,
  );
}

describe('toRawRow: the row a use_table_schema + write_metadata + drop_unknown_fields subscription writes', () => {
  it('maps each CloudEvent field to its column and adds the metadata columns', () => {
    const event = itemEvent('rims.item.committed.v1', 'item-7', 2);
    const message = toPubSubMessage(event);
    const result = toRawRow(
      {
        data: message.data,
        attributes: message.attributes,
        messageId: '42',
        publishTime,
        orderingKey: message.orderingKey,
      },
      SUBSCRIPTION,
    );
    expect(result).toEqual({
      ok: true,
      row: {
        specversion: '1.0',
        id: event.id,
        source: '//rims/test',
        type: 'rims.item.committed.v1',
        subject: 'item-7',
        time: event.time,
        sequence: '2',
        datacontenttype: 'application/json',
        data: {
          item_id: 'item-7',
          order_id: event.data.order_id,
          sku: 'SKU-item-7',
          quantity: 2,
          location_id: 'store-1',
          reason: null,
          shipment_id: null,
          status: null,
          replica: null,
          sent_at: null,
        },
        traceparent: null,
        subscription_name: SUBSCRIPTION,
        message_id: '42',
        publish_time: '2026-11-22T10:00:00.123Z',
        attributes: { ...message.attributes, ordering_key: 'item-7' },
      },
    });
  });

  it('drops fields the table has no column for, at the top level and inside data', () => {
    const result = land({
      ...itemEvent('rims.item.released.v1', 'item-1', 1),
      partitionkey: 'p',
      data: { item_id: 'item-1', order_id: 'o', reason: 'r', colour: 'red' },
    });
    expect(result.ok && result.row).not.toHaveProperty('partitionkey');
    expect(result.ok && result.row.data).toEqual({
      item_id: 'item-1',
      order_id: 'o',
      sku: null,
      quantity: null,
      location_id: null,
      reason: 'r',
      shipment_id: null,
      status: null,
      replica: null,
      sent_at: null,
    });
  });

  it('writes missing fields and JSON nulls as NULL, and omits ordering_key when there is none', () => {
    const result = land({ id: 'x', traceparent: null });
    expect(result.ok && result.row).toMatchObject({
      id: 'x',
      type: null,
      data: null,
      traceparent: null,
      attributes: {},
    });
  });

  it.each([
    ['not JSON', '{"id": ', /not JSON/],
    ['a JSON array', [1, 2], /a JSON array; use_table_schema needs a JSON object/],
    ['a JSON string', 'just text', /not JSON/],
    [
      'a number for a STRING column',
      { id: 7 },
      /id: a JSON integer cannot be written to the STRING column id/,
    ],
    ['an object for a STRING column', { subject: { a: 1 } }, /subject: a JSON object cannot be written/],
    [
      'a string for the data RECORD',
      { data: '{"item_id":"x"}' },
      /data: a JSON string cannot be written to the RECORD column data/,
    ],
    [
      'a fractional quantity',
      { data: { quantity: 1.5 } },
      /data\.quantity: a JSON number cannot be written to the INT64/,
    ],
    [
      'a string quantity',
      { data: { quantity: '2' } },
      /data\.quantity: a JSON string cannot be written to the INT64/,
    ],
    ['an unsafe integer', { data: { quantity: 2 ** 60 } }, /outside the INT64 range/],
  ])('cannot write %s (the message is dead-lettered instead)', (_, body, reason) => {
    const result = land(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(reason);
  });
});
