import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { RIMS_EVENT_TYPES, eventJsonSchema, generatedArtifacts, rawItemEventsColumns } from '../src/index.js';
import { committedEvent } from './fixtures.js';

const generatedDir = new URL('../generated/', import.meta.url);

describe('generated artifacts', () => {
  it('are up to date with the zod schemas (run `pnpm generate` when this fails)', () => {
    for (const [path, content] of generatedArtifacts()) {
      expect(readFileSync(new URL(path, generatedDir), 'utf8'), path).toBe(content);
    }
  });

  it('derive the raw table columns: envelope fields, then subscription metadata', () => {
    expect(rawItemEventsColumns().map((column) => `${column.name} ${column.type}`)).toEqual([
      'specversion STRING',
      'id STRING',
      'source STRING',
      'type STRING',
      'subject STRING',
      'time STRING',
      'sequence STRING',
      'datacontenttype STRING',
      'data RECORD',
      'traceparent STRING',
      'subscription_name STRING',
      'message_id STRING',
      'publish_time TIMESTAMP',
      'attributes JSON',
    ]);
    expect(new Set(rawItemEventsColumns().map((column) => column.mode))).toEqual(new Set(['NULLABLE']));
  });

  it('land data as a RECORD of every event type’s fields (a JSON column takes only escaped JSON strings)', () => {
    const data = rawItemEventsColumns().find((column) => column.name === 'data');
    expect(data?.fields?.map((field) => `${field.name} ${field.type} ${field.mode}`)).toEqual([
      'item_id STRING NULLABLE',
      'order_id STRING NULLABLE',
      'sku STRING NULLABLE',
      'quantity INT64 NULLABLE',
      'location_id STRING NULLABLE',
      'reason STRING NULLABLE',
      'shipment_id STRING NULLABLE',
      'status STRING NULLABLE',
      'replica STRING NULLABLE',
      'sent_at STRING NULLABLE',
    ]);
  });
});

describe('JSON Schema per event type', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);

  it('accepts a valid event and rejects an invalid one', () => {
    const validate = ajv.compile(eventJsonSchema('rims.item.committed.v1'));
    expect(validate(committedEvent()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...committedEvent(), data: { ...committedEvent().data, quantity: 0 } })).toBe(false);
    expect(validate({ ...committedEvent(), time: 'yesterday' })).toBe(false);
    expect(validate({ ...committedEvent(), type: 'rims.item.released.v1' })).toBe(false);
  });

  it('states which snapshot fields a status requires (if/then), as the zod refinement does', () => {
    const validate = ajv.compile(eventJsonSchema('rims.item.snapshot.v1'));
    const snapshot = (data: Record<string, unknown>) => ({
      ...committedEvent(),
      type: 'rims.item.snapshot.v1',
      data: { item_id: committedEvent().data.item_id, sku: 'SKU', quantity: 1, ...data },
    });
    expect(validate(snapshot({ status: 'available' })), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(snapshot({ status: 'fulfilled', order_id: 'o-1' }))).toBe(true);
    expect(validate(snapshot({ status: 'committed', order_id: 'o-1', location_id: 'l' }))).toBe(true);
    expect(validate(snapshot({ status: 'committed', order_id: 'o-1' }))).toBe(false);
    expect(validate.errors?.map((error) => error.params)).toContainEqual({ missingProperty: 'location_id' });
    expect(validate(snapshot({ status: 'cancelled' }))).toBe(false);
    expect(validate(snapshot({ status: 'reserved' }))).toBe(false);
    const bare = (data: Record<string, unknown>) => {
      const event = snapshot(data);
      const { sku: _sku, quantity: _quantity, ...rest } = event.data;
      return { ...event, data: rest };
    };
    expect(validate(bare({ status: 'available' })), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(bare({ status: 'cancelled', order_id: 'o-1' })), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate(bare({ status: 'committed', order_id: 'o-1', location_id: 'l' }))).toBe(false);
    expect(validate.errors?.map((error) => error.params)).toEqual(
      expect.arrayContaining([{ missingProperty: 'sku' }, { missingProperty: 'quantity' }]),
    );
  });

  it('has one schema per type, identified by the type', () => {
    expect(RIMS_EVENT_TYPES.map((type) => eventJsonSchema(type).$id)).toEqual(
      RIMS_EVENT_TYPES.map((type) => `urn:rims:schema:${type}`),
    );
  });
});
