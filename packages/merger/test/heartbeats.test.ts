import { describe, expect, it } from 'vitest';
import { runMerge } from '../src/index.js';
import { heartbeatEvent, itemEvent, landRaw, select, useDuckDbWarehouse } from './helpers.js';

const local = useDuckDbWarehouse();

describe('pipeline heartbeats in the warehouse (DuckDB)', () => {
  it('are recorded once in rims_core.pipeline_heartbeats with enqueue, publish and merge times, never as items', async () => {
    const { warehouse } = local;
    const now = new Date();
    const sentAt = new Date(now.getTime() - 90_000);
    const beat = heartbeatEvent('relay-a', 1, sentAt);
    const publishTime = new Date(now.getTime() - 60_000);
    await landRaw(warehouse, [
      { body: beat, publishTime },
      // An at-least-once duplicate, published again later.
      { body: beat, publishTime: new Date(now.getTime() - 30_000) },
      { body: itemEvent('rims.item.committed.v1', 'hb-item-1', 1), publishTime },
      // Invalid: its subject is not heartbeat/<replica>.
      { body: { ...heartbeatEvent('relay-b', 1, sentAt), subject: 'relay-b' }, publishTime },
    ]);
    const report = await runMerge(warehouse, { now });
    expect(report.outcome).toBe('succeeded');

    const heartbeats = await select(
      warehouse,
      `SELECT id, replica, sent_at, publish_time, merged_at FROM rims_core.pipeline_heartbeats`,
    );
    expect(heartbeats).toHaveLength(1);
    expect(heartbeats[0]).toMatchObject({ id: beat.id, replica: 'relay-a' });
    expect(new Date(heartbeats[0]?.sent_at as string).getTime()).toBe(sentAt.getTime());
    expect(new Date(heartbeats[0]?.publish_time as string).getTime()).toBe(publishTime.getTime());
    expect(new Date(heartbeats[0]?.merged_at as string).getTime()).toBeGreaterThanOrEqual(
      publishTime.getTime(),
    );

    expect(await select(warehouse, `SELECT subject FROM rims_core.item_events ORDER BY subject`)).toEqual([
      { subject: 'hb-item-1' },
    ]);
    expect(await select(warehouse, `SELECT item_id FROM rims_core.item_commitment_state`)).toEqual([
      { item_id: 'hb-item-1' },
    ]);
    const rejected = await select(warehouse, `SELECT subject, reason FROM rims_core.item_events_rejected`);
    expect(rejected).toEqual([
      { subject: 'relay-b', reason: 'subject: must equal heartbeat/<data.replica>' },
    ]);

    // A rerun over the same window adds nothing.
    await runMerge(warehouse, { from: new Date(now.getTime() - 120_000), to: now });
    expect(await select(warehouse, `SELECT count(*) AS n FROM rims_core.pipeline_heartbeats`)).toEqual([
      { n: 1 },
    ]);
  });
});
