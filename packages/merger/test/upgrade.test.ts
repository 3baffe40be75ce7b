import { describe, expect, it } from 'vitest';
import { provisionWarehouse, runMerge } from '../src/index.js';
import { itemEvent, landRaw, select, useDuckDbWarehouse } from './helpers.js';

const local = useDuckDbWarehouse();

describe('an event type gains a field (DuckDB, end to end)', () => {
  it('provisions the new field, then lands and merges old and new events with every value in its own field', async () => {
    const { warehouse } = local;
    const now = new Date();
    // Events the older release landed: it had no data.reason (and so no released/cancelled events).
    const old = [
      itemEvent('rims.item.committed.v1', 'up-1', 1),
      itemEvent('rims.item.committed.v1', 'up-2', 1),
    ];
    await landRaw(
      warehouse,
      old.map((body) => ({ body, publishTime: new Date(now.getTime() - 60_000) })),
    );
    // The raw table as that release created it: without the field (dropped from the rows too).
    await warehouse.script('ALTER TABLE rims_raw.item_events DROP COLUMN data.reason');

    // The upgrade: provision adds the field at the end of the RECORD, not where the catalogue has it.
    const steps = await provisionWarehouse(warehouse);
    expect(steps.filter((step) => step.action.startsWith('add column')).map((step) => step.action)).toEqual([
      'add column data.reason STRING to rims_raw.item_events (new in the event catalogue)',
    ]);
    const fields = (await warehouse.tableColumns('rims_raw', 'item_events'))
      ?.find((column) => column.name === 'data')
      ?.fields?.map((field) => field.name);
    expect(fields?.slice(-5)).toEqual(['shipment_id', 'status', 'replica', 'sent_at', 'reason']);

    // New events carry the field; shipment_id, a field of the same type, must not take its value.
    const released = itemEvent('rims.item.released.v1', 'up-1', 2, { reason: 'timeout' });
    const cancelled = itemEvent('rims.item.cancelled.v1', 'up-2', 2, { reason: 'customer' });
    const fulfilled = itemEvent('rims.item.fulfilled.v1', 'up-3', 1, { shipment_id: 'ship-7' });
    await landRaw(
      warehouse,
      [released, cancelled, fulfilled].map((body) => ({ body, publishTime: now })),
    );

    const report = await runMerge(warehouse, { now: new Date(now.getTime() + 1000) });
    expect(report.chunks[0]).toMatchObject({
      rawRows: 5,
      validRows: 5,
      coreInserted: 5,
      rejectedInserted: 0,
    });
    expect(
      await select(
        warehouse,
        `SELECT subject, type, data->>'reason' AS reason, data->>'shipment_id' AS shipment_id
         FROM rims_core.item_events ORDER BY subject, sequence`,
      ),
    ).toEqual([
      { subject: 'up-1', type: 'rims.item.committed.v1', reason: null, shipment_id: null },
      { subject: 'up-1', type: 'rims.item.released.v1', reason: 'timeout', shipment_id: null },
      { subject: 'up-2', type: 'rims.item.committed.v1', reason: null, shipment_id: null },
      { subject: 'up-2', type: 'rims.item.cancelled.v1', reason: 'customer', shipment_id: null },
      { subject: 'up-3', type: 'rims.item.fulfilled.v1', reason: null, shipment_id: 'ship-7' },
    ]);
    expect(
      await select(
        warehouse,
        'SELECT item_id, status, version FROM rims_core.item_commitment_state ORDER BY item_id',
      ),
    ).toEqual([
      { item_id: 'up-1', status: 'available', version: 2 },
      { item_id: 'up-2', status: 'cancelled', version: 2 },
      { item_id: 'up-3', status: 'fulfilled', version: 1 },
    ]);
  });

  it('gives an older release snapshots: provision adds data.status and the discrepancies table', async () => {
    const { warehouse } = local;
    const now = new Date();
    // The warehouse as a release before snapshots made it.
    await warehouse.script('DROP TABLE rims_core.item_state_discrepancies');
    await warehouse.script('ALTER TABLE rims_raw.item_events DROP COLUMN data.status');
    const steps = await provisionWarehouse(warehouse);
    expect(steps.filter((step) => step.action.startsWith('add column')).map((step) => step.action)).toEqual([
      'add column data.status STRING to rims_raw.item_events (new in the event catalogue)',
    ]);
    const committed = itemEvent('rims.item.committed.v1', 'up-snap', 1);
    const snapshot = itemEvent('rims.item.snapshot.v1', 'up-snap', 2, {
      status: 'cancelled',
      location_id: undefined,
    });
    await landRaw(
      warehouse,
      [committed, snapshot].map((body) => ({ body, publishTime: now })),
    );
    await runMerge(warehouse, { now: new Date(now.getTime() + 1000) });
    expect(
      await select(warehouse, `SELECT status FROM rims_core.item_commitment_state WHERE item_id = 'up-snap'`),
    ).toEqual([{ status: 'cancelled' }]);
    expect(
      await select(
        warehouse,
        `SELECT event_id, snapshot_status, derived_status FROM rims_core.item_state_discrepancies`,
      ),
    ).toEqual([{ event_id: snapshot.id, snapshot_status: 'cancelled', derived_status: 'committed' }]);
  });
});
