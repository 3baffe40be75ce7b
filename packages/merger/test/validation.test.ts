import { describe, expect, it } from 'vitest';
import {
  EventValidationError,
  ITEM_EVENT_TYPES,
  RIMS_EVENT_TYPES,
  parseCloudEvent,
  type ItemEventType,
} from '@rims/schemas';
import { toRawRow } from '../src/index.js';
import { heartbeatEvent, itemEvent, landRaw, select, useDuckDbWarehouse } from './helpers.js';

/** @rims/schemas' verdict on a body: the set of issue paths, empty when valid. */
function zodPaths(body: unknown): string[] {
  try {
    parseCloudEvent(body);
    return [];
  } catch (error) {
    if (!(error instanceof EventValidationError)) throw error;
    return [...new Set(error.issues.map((issue) => issue.path))].sort();
  }
}

/** The warehouse's verdict (the generated reject-reason function): the paths it names. */
function sqlPaths(reason: string | null): string[] {
  if (reason === null) return [];
  return [...new Set(reason.split('; ').map((issue) => issue.slice(0, issue.indexOf(': '))))].sort();
}

type Body = Record<string, unknown>;

const valid = (type: ItemEventType = 'rims.item.committed.v1'): Body => ({ ...itemEvent(type, 'item-1', 3) });
const withData = (patch: Record<string, unknown>, type: ItemEventType = 'rims.item.committed.v1'): Body => {
  const body = valid(type);
  return { ...body, data: { ...(body.data as object), ...patch } };
};
const heartbeat = (): Body => ({ ...heartbeatEvent('relay-1', 3) });
const without = (body: Body, key: string): Body =>
  Object.fromEntries(Object.entries(body).filter(([k]) => k !== key));

/** Valid and invalid events, named. Every one lands (the subscription can write it). */
const LANDABLE: Record<string, Body> = {
  ...Object.fromEntries(ITEM_EVENT_TYPES.map((type) => [`valid ${type}`, valid(type)])),
  'valid rims.pipeline.heartbeat.v1': { ...heartbeat() },
  'heartbeat subject is not heartbeat/<replica>': { ...heartbeat(), subject: 'relay-1' },
  'heartbeat subject is an item': { ...heartbeat(), subject: 'item-1' },
  'heartbeat without replica': { ...heartbeat(), data: { sent_at: '2026-01-01T00:00:00Z' } },
  'heartbeat sent_at is not a time': {
    ...heartbeat(),
    data: { replica: 'relay-1', sent_at: 'yesterday' },
  },
  'valid snapshot, available, without order_id and location_id': withData(
    { status: 'available', order_id: undefined, location_id: undefined },
    'rims.item.snapshot.v1',
  ),
  'valid snapshot, cancelled, without location_id': withData(
    { status: 'cancelled', location_id: undefined },
    'rims.item.snapshot.v1',
  ),
  'valid snapshot, fulfilled, without sku, quantity and location_id': withData(
    { status: 'fulfilled', sku: undefined, quantity: undefined, location_id: undefined },
    'rims.item.snapshot.v1',
  ),
  'snapshot committed without quantity': withData({ quantity: undefined }, 'rims.item.snapshot.v1'),
  'snapshot available with quantity 0': withData(
    { status: 'available', quantity: 0 },
    'rims.item.snapshot.v1',
  ),
  'snapshot committed without location_id': withData({ location_id: undefined }, 'rims.item.snapshot.v1'),
  'snapshot fulfilled without order_id': withData(
    { status: 'fulfilled', order_id: undefined },
    'rims.item.snapshot.v1',
  ),
  'snapshot committed without order_id, and subject mismatch': {
    ...withData({ order_id: undefined }, 'rims.item.snapshot.v1'),
    subject: 'item-2',
  },
  'snapshot committed without location_id, and sku missing': withData(
    { location_id: undefined, sku: undefined },
    'rims.item.snapshot.v1',
  ),
  'snapshot status is not a status': withData({ status: 'reserved' }, 'rims.item.snapshot.v1'),
  'snapshot status is not a status, and subject mismatch': {
    ...withData({ status: 'reserved' }, 'rims.item.snapshot.v1'),
    subject: 'item-2',
  },
  'snapshot without status': withData({ status: undefined }, 'rims.item.snapshot.v1'),
  'valid fulfilled without shipment_id': withData({ shipment_id: undefined }, 'rims.item.fulfilled.v1'),
  'valid with traceparent': {
    ...valid(),
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
  'valid with unknown fields (dropped on landing, allowed by consumers)': {
    ...withData({ colour: 'red' }),
    partitionkey: 'x',
  },
  'valid time with an offset': { ...valid(), time: '2026-11-22T10:00:00+05:30' },
  'valid time with nanoseconds': { ...valid(), time: '2026-11-22T10:00:00.123456789Z' },
  'valid 256-character emoji sku': withData({ sku: '😀'.repeat(256) }),
  'specversion 2': { ...valid(), specversion: '2.0' },
  'empty id': { ...valid(), id: '' },
  'missing id': without(valid(), 'id'),
  'empty source': { ...valid(), source: '' },
  'empty subject and item_id': { ...withData({ item_id: '' }), subject: '' },
  'subject and item_id too long': { ...withData({ item_id: 'x'.repeat(257) }), subject: 'x'.repeat(257) },
  'subject is not data.item_id': { ...valid(), subject: 'item-2' },
  'subject mismatch and quantity 0': { ...withData({ quantity: 0 }), subject: 'item-2' },
  'subject mismatch and sku missing': { ...withData({ sku: undefined }), subject: 'item-2' },
  'subject mismatch and specversion 2': { ...valid(), subject: 'item-2', specversion: '2.0' },
  'time is not a time': { ...valid(), time: 'yesterday' },
  'time without a zone': { ...valid(), time: '2026-11-22T10:00:00' },
  'time with a space': { ...valid(), time: '2026-11-22 10:00:00Z' },
  'time on 30 February': { ...valid(), time: '2026-02-30T10:00:00Z' },
  'missing time': without(valid(), 'time'),
  'sequence 0': { ...valid(), sequence: '0' },
  'sequence with a leading zero': { ...valid(), sequence: '03' },
  'sequence of 19 digits': { ...valid(), sequence: '1234567890123456789' },
  'sequence not a number': { ...valid(), sequence: 'three' },
  'datacontenttype text/plain': { ...valid(), datacontenttype: 'text/plain' },
  'traceparent malformed': { ...valid(), traceparent: 'not-a-trace' },
  'missing data': without(valid(), 'data'),
  'quantity 0': withData({ quantity: 0 }),
  'sku missing': withData({ sku: undefined }),
  'sku empty and location missing': withData({ sku: '', location_id: undefined }),
  'order_id missing': withData({ order_id: undefined }, 'rims.item.released.v1'),
  'released without reason': withData({ reason: undefined }, 'rims.item.released.v1'),
  'cancelled reason too long': withData({ reason: 'r'.repeat(257) }, 'rims.item.cancelled.v1'),
  'fulfilled with empty shipment_id': withData({ shipment_id: '' }, 'rims.item.fulfilled.v1'),
  'unknown type': { ...valid(), type: 'rims.item.exploded.v1' },
  'missing type': without(valid(), 'type'),
};

/** Bodies the subscription cannot write (they are dead-lettered): @rims/schemas must reject them too. */
const UNWRITABLE: Record<string, unknown> = {
  'subject is a number': { ...valid(), subject: 42 },
  'data is a string': { ...valid(), data: 'item-1' },
  'quantity is fractional': withData({ quantity: 1.5 }),
  'quantity is a string': withData({ quantity: '2' }),
  'quantity beyond INT64 safe range': withData({ quantity: 2 ** 53 }),
  'sequence is a number': { ...valid(), sequence: 3 },
  'body is an array': [valid()],
};

describe('Raw -> Core validation in SQL (generated from the zod catalogue)', () => {
  const local = useDuckDbWarehouse();

  it('gives the verdict of parseCloudEvent, naming the same fields, on every landable event', async () => {
    const { warehouse } = local;
    const names = Object.keys(LANDABLE);
    await landRaw(
      warehouse,
      names.map((name, index) => ({
        body: LANDABLE[name],
        publishTime: new Date(Date.UTC(2026, 0, 1, 0, 0, index)),
        messageId: `corpus-${String(index)}`,
      })),
    );
    const rows = await select(
      warehouse,
      `SELECT message_id, rims_core.item_event_reject_reason(
         specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent) AS reason
       FROM rims_raw.item_events WHERE message_id LIKE 'corpus-%'`,
    );
    const verdicts = Object.fromEntries(
      rows.map((row) => [
        names[Number(String(row.message_id).slice('corpus-'.length))] ?? '',
        row.reason as string | null,
      ]),
    );
    const comparison = names.map((name) => ({
      name,
      sql: sqlPaths(verdicts[name] ?? null),
      zod: zodPaths(LANDABLE[name]),
    }));
    expect(comparison.map(({ name, sql }) => ({ name, paths: sql }))).toEqual(
      comparison.map(({ name, zod }) => ({ name, paths: zod })),
    );
    expect(comparison.filter(({ zod }) => zod.length === 0).length).toBe(RIMS_EVENT_TYPES.length + 9);
  });

  it('cannot land what the subscription cannot write, and parseCloudEvent rejects all of it too', () => {
    for (const [name, body] of Object.entries(UNWRITABLE)) {
      const result = toRawRow(
        { data: Buffer.from(JSON.stringify(body)), attributes: {}, messageId: name, publishTime: new Date() },
        'projects/p/subscriptions/s',
      );
      expect(result.ok, name).toBe(false);
      expect(zodPaths(body).length, name).toBeGreaterThan(0);
    }
  });

  it('documents where the two verdicts must differ', async () => {
    const { warehouse } = local;
    // A JSON null lands as NULL, which the table cannot tell from a missing optional field; and the
    // warehouse cannot store a time before year 1, which RFC 3339 allows.
    const nullTrace = { ...valid(), id: 'diff-null-trace', traceparent: null };
    const yearZero = { ...valid(), id: 'diff-year-zero', time: '0000-06-01T00:00:00Z' };
    expect(zodPaths(nullTrace)).toEqual(['traceparent']);
    expect(zodPaths(yearZero)).toEqual([]);
    await landRaw(warehouse, [
      { body: nullTrace, publishTime: new Date(Date.UTC(2026, 1, 1)) },
      { body: yearZero, publishTime: new Date(Date.UTC(2026, 1, 1)) },
    ]);
    const rows = await select(
      warehouse,
      `SELECT id, rims_core.item_event_reject_reason(
         specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent) AS reason
       FROM rims_raw.item_events WHERE id LIKE 'diff-%' ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 'diff-null-trace', reason: null },
      { id: 'diff-year-zero', reason: 'time: must be between 0001-01-01 and 9999-12-31 UTC' },
    ]);
  });
});
