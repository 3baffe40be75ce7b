import { describe, expect, it } from 'vitest';
import { rawItemEventsColumns } from '@rims/schemas';
import { provisionWarehouse } from '../src/index.js';
import { structFields } from '../src/warehouse/duckdb.js';
import { itemEvent, landRaw, select, useDuckDbWarehouse } from './helpers.js';

const local = useDuckDbWarehouse();

describe('provisionWarehouse on DuckDB', () => {
  it('is idempotent and plans without changing anything on a dry run', async () => {
    const { warehouse } = local;
    const again = await provisionWarehouse(warehouse);
    expect(again.every((step) => step.status === 'applied')).toBe(true);
    expect(again.some((step) => step.action.startsWith('add column'))).toBe(false);
    const dry = await provisionWarehouse(warehouse, { dryRun: true });
    expect(new Set(dry.map((step) => step.status))).toEqual(new Set(['planned']));
    expect(dry.find((step) => step.action.endsWith('ddl/002_raw_item_events.generated.sql'))?.sql).toContain(
      'CREATE TABLE IF NOT EXISTS "rims_raw".item_events',
    );
  });

  it('adds the columns and data fields the catalogue gained to a raw table made by an older release', async () => {
    const { warehouse } = local;
    // As an older release created it: no traceparent column, no data.shipment_id field.
    await warehouse.script('ALTER TABLE rims_raw.item_events DROP COLUMN traceparent');
    await warehouse.script('ALTER TABLE rims_raw.item_events DROP COLUMN data.shipment_id');
    const dry = await provisionWarehouse(warehouse, { dryRun: true });
    expect(dry.filter((step) => step.action.startsWith('add column')).map((step) => step.action)).toEqual([
      'add column data.shipment_id STRING to rims_raw.item_events (new in the event catalogue)',
      'add column traceparent STRING to rims_raw.item_events (new in the event catalogue)',
    ]);
    expect(
      (await warehouse.tableColumns('rims_raw', 'item_events'))?.some((c) => c.name === 'traceparent'),
    ).toBe(false);

    const steps = await provisionWarehouse(warehouse);
    expect(steps.filter((step) => step.action.startsWith('add column')).map((step) => step.status)).toEqual([
      'applied',
      'applied',
    ]);
    const columns = await warehouse.tableColumns('rims_raw', 'item_events');
    expect(columns?.map((column) => column.name)).toEqual(
      expect.arrayContaining(rawItemEventsColumns().map((column) => column.name)),
    );
    const event = itemEvent('rims.item.fulfilled.v1', 'evolved', 1, { shipment_id: 'ship-9' });
    await landRaw(warehouse, [
      {
        body: { ...event, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        publishTime: new Date(),
      },
    ]);
    expect(
      await select(
        warehouse,
        "SELECT data.shipment_id AS shipment, traceparent FROM rims_raw.item_events WHERE subject = 'evolved'",
      ),
    ).toEqual([
      { shipment: 'ship-9', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    ]);
  });

  it('reads nested DuckDB struct types', () => {
    expect(structFields('STRUCT(a VARCHAR, "b c" STRUCT(d BIGINT, e DECIMAL(10,2)), f VARCHAR[])')).toEqual([
      { name: 'a' },
      { name: 'b c', fields: [{ name: 'd' }, { name: 'e' }] },
      { name: 'f' },
    ]);
    expect(structFields('VARCHAR')).toBeUndefined();
  });
});
