import { describe, expect, it } from 'vitest';
import { statusOf, type ItemEventType, type RimsCloudEvent } from '@rims/schemas';
import { waitFor } from '@rims/test-harness';
import {
  MergeLease,
  MergeLeaseError,
  openDuckDbWarehouse,
  runAudit,
  runMerge,
  type Warehouse,
} from '../src/index.js';
import { itemEvent, landRaw, plusMinutes, select, shuffle, useDuckDbWarehouse } from './helpers.js';

const DAY = 86_400_000;
const LOOKBACK = 2 * DAY;

const TYPES: readonly ItemEventType[] = [
  'rims.item.committed.v1',
  'rims.item.released.v1',
  'rims.item.committed.v1',
  'rims.item.fulfilled.v1',
  'rims.item.cancelled.v1',
];

/** Each item's history: 1..5 events with sequences 1, 2, 3 ... */
function histories(items: number, prefix: string): RimsCloudEvent[] {
  const events: RimsCloudEvent[] = [];
  for (let item = 0; item < items; item++) {
    const length = 1 + (item % 5);
    for (let sequence = 1; sequence <= length; sequence++) {
      events.push(
        itemEvent(
          TYPES[(sequence - 1) % TYPES.length] ?? 'rims.item.committed.v1',
          `${prefix}-${String(item)}`,
          sequence,
        ),
      );
    }
  }
  return events;
}

/** The state rows the events must produce: per item, the event with the highest sequence. */
function expectedState(events: readonly RimsCloudEvent[]) {
  const latest = new Map<string, RimsCloudEvent>();
  for (const event of events) {
    const known = latest.get(event.subject);
    if (!known || Number(event.sequence) > Number(known.sequence)) latest.set(event.subject, event);
  }
  return [...latest.values()]
    .map((event) => {
      // The events of this test are item events (TYPES).
      const status = statusOf(event.type as ItemEventType, event.data);
      const data = event.data as Record<string, unknown>;
      return {
        item_id: event.subject,
        status,
        order_id: data.order_id,
        sku: status === 'committed' ? data.sku : null,
        quantity: status === 'committed' ? data.quantity : null,
        location_id: status === 'committed' ? data.location_id : null,
        is_potentially_committed: status === 'committed',
        version: Number(event.sequence),
        last_event_id: event.id,
        last_event_time: new Date(event.time),
      };
    })
    .sort((a, b) => a.item_id.localeCompare(b.item_id));
}

async function stateRows(warehouse: Warehouse, prefix: string) {
  return select(
    warehouse,
    `SELECT item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version, last_event_id, last_event_time
     FROM rims_core.item_commitment_state WHERE item_id LIKE '${prefix}-%' ORDER BY item_id`,
  );
}

describe('runMerge on a DuckDB warehouse', () => {
  const local = useDuckDbWarehouse();

  it('gives the expected state for shuffled, duplicated and late (inside the lookback) events; a rerun changes nothing', async () => {
    const { warehouse } = local;
    const events = histories(40, 'shuffle');
    // At least once: a fifth of the events is published twice (a new message), and some messages
    // are delivered twice (the same message id and publish time).
    const copies = events.filter((_, index) => index % 5 === 0);
    const messages = shuffle([...events, ...copies], 7).map((body, index) => ({ body, index }));
    const t0 = new Date('2026-03-01T12:00:00Z');
    const batches = [messages.slice(0, 40), messages.slice(40, 80), messages.slice(80)];
    let now = t0;
    for (const [round, batch] of batches.entries()) {
      now = plusMinutes(t0, round * 60);
      const landed = batch.map(({ body, index }) => ({
        body,
        // Round 2 also lands rows published before the previous run's watermark (late, but inside
        // the two-day lookback), as a subscription catching up on its backlog does.
        publishTime: plusMinutes(now, round === 2 && index % 2 === 0 ? -600 : -5),
        messageId: `shuffle-${String(index)}`,
      }));
      const redelivered = landed.filter((_, i) => i % 7 === 0);
      await landRaw(warehouse, [...landed, ...redelivered]);
      const report = await runMerge(warehouse, { now, lookbackMs: LOOKBACK });
      expect(report.outcome).toBe('succeeded');
    }

    expect(await stateRows(warehouse, 'shuffle')).toEqual(expectedState(events));
    const [core] = await select(
      warehouse,
      "SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM rims_core.item_events WHERE subject LIKE 'shuffle-%'",
    );
    expect(core).toEqual({ rows: events.length, ids: events.length });

    const before = await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state ORDER BY item_id');
    const rerun = await runMerge(warehouse, { now: plusMinutes(now, 10), lookbackMs: 30 * DAY });
    expect(rerun.chunks[0]).toMatchObject({ coreInserted: 0, rejectedInserted: 0, stateChanged: 0 });
    expect(await select(warehouse, 'SELECT * FROM rims_core.item_commitment_state ORDER BY item_id')).toEqual(
      before,
    );
  });

  it('rejects invalid events with the reason and still merges the valid ones around them', async () => {
    const { warehouse } = local;
    const now = new Date('2026-03-10T12:00:00Z');
    const valid = [
      itemEvent('rims.item.committed.v1', 'mixed-1', 1),
      itemEvent('rims.item.committed.v1', 'mixed-2', 1),
    ];
    const invalid = [
      {
        ...itemEvent('rims.item.committed.v1', 'mixed-1', 2),
        data: { ...itemEvent('rims.item.committed.v1', 'mixed-1', 2).data, quantity: 0 },
      },
      { ...itemEvent('rims.item.released.v1', 'mixed-2', 2), subject: 'someone-else' },
      { ...itemEvent('rims.item.released.v1', 'mixed-1', 3), type: 'rims.item.exploded.v1' },
      { ...itemEvent('rims.item.released.v1', 'mixed-2', 3), time: 'yesterday' },
    ];
    await landRaw(
      warehouse,
      [...invalid, ...valid].map((body, index) => ({ body, publishTime: plusMinutes(now, -index - 1) })),
    );
    const report = await runMerge(warehouse, { now, from: plusMinutes(now, -60), to: now });
    expect(report.chunks[0]).toMatchObject({
      rawRows: 6,
      validRows: 2,
      coreInserted: 2,
      rejectedInserted: 4,
    });

    expect(await stateRows(warehouse, 'mixed')).toEqual(expectedState(valid));
    const rejected = await select(
      warehouse,
      "SELECT subject, type, reason FROM rims_core.item_events_rejected WHERE id LIKE 'evt-mixed-%' ORDER BY reason",
    );
    expect(rejected).toEqual([
      { subject: 'mixed-1', type: 'rims.item.committed.v1', reason: 'data.quantity: must be at least 1' },
      { subject: 'someone-else', type: 'rims.item.released.v1', reason: 'subject: must equal data.item_id' },
      {
        subject: 'mixed-2',
        type: 'rims.item.released.v1',
        reason: 'time: must be an RFC 3339 date-time with a time zone',
      },
      {
        subject: 'mixed-1',
        type: 'rims.item.exploded.v1',
        reason: expect.stringMatching(
          /^type: rims\.item\.exploded\.v1 is not a known RIMS event type/,
        ) as unknown,
      },
    ]);
  });

  it('finds events that arrived behind the lookback window, and a wider run repairs them', async () => {
    const { warehouse } = local;
    const t0 = new Date('2026-04-01T00:00:00Z');
    const first = itemEvent('rims.item.committed.v1', 'late-1', 1);
    const second = itemEvent('rims.item.released.v1', 'late-1', 2);
    await landRaw(warehouse, [{ body: first, publishTime: plusMinutes(t0, -30) }]);
    await runMerge(warehouse, { now: t0, lookbackMs: LOOKBACK });
    // The subscription was down for five days: its backlog lands with the original publish times.
    await landRaw(warehouse, [{ body: second, publishTime: new Date(t0.getTime() - 5 * DAY) }]);
    const later = plusMinutes(t0, 60);
    await runMerge(warehouse, { now: later, lookbackMs: LOOKBACK });
    expect(await stateRows(warehouse, 'late')).toMatchObject([{ item_id: 'late-1', version: 1 }]);

    const audit = await runAudit(warehouse, {
      now: later,
      lookbackMs: LOOKBACK,
      from: new Date(t0.getTime() - 7 * DAY),
    });
    expect(audit.clean).toBe(false);
    expect(audit.behindLookback).toEqual([
      { id: second.id, subject: 'late-1', sequence: 2, publishTime: new Date(t0.getTime() - 5 * DAY) },
    ]);
    expect(audit.subjects).toEqual([
      expect.objectContaining({ subject: 'late-1', rawMaxSequence: 2, coreMaxSequence: 1 }),
    ]);
    expect(audit.repair?.command).toBe(
      `rims-merger run --from ${new Date(t0.getTime() - 5 * DAY).toISOString()} --to ${new Date(t0.getTime() - 5 * DAY + 60_000).toISOString()}`,
    );

    const progress: number[] = [];
    const repair = await runMerge(warehouse, {
      from: audit.repair?.from ?? t0,
      to: audit.repair?.to ?? t0,
      chunkMs: 20_000,
      onProgress: (done) => progress.push(done),
    });
    expect(repair.mode).toBe('repair');
    expect(progress).toEqual([1, 2, 3]);
    expect(await stateRows(warehouse, 'late')).toEqual(expectedState([first, second]));
    const after = await runAudit(warehouse, {
      now: later,
      lookbackMs: LOOKBACK,
      from: new Date(t0.getTime() - 7 * DAY),
    });
    expect(after).toMatchObject({ clean: true, behindLookback: [], pending: [], subjects: [], gaps: [] });
  });

  it('records each run, advances the watermark, and changes nothing on a dry run', async () => {
    const { warehouse } = local;
    const now = new Date('2026-05-01T00:00:00Z');
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'log-1', 1), publishTime: plusMinutes(now, -1) },
    ]);
    const dry = await runMerge(warehouse, { now, dryRun: true });
    expect(dry.outcome).toBe('dry-run');
    expect(dry.chunks[0]?.validRows).toBeGreaterThan(0);
    expect(await stateRows(warehouse, 'log')).toEqual([]);

    const report = await runMerge(warehouse, { now, lookbackMs: LOOKBACK });
    const chunk = report.chunks[0];
    const [logged] = await select(
      warehouse,
      `SELECT mode, outcome, window_from, window_to, raw_rows, core_inserted, state_changed, duration_ms, error
       FROM rims_core.merge_runs WHERE run_id = '${chunk?.runId ?? ''}'`,
    );
    expect(logged).toEqual({
      mode: 'incremental',
      outcome: 'succeeded',
      window_from: report.windowFrom,
      window_to: now,
      raw_rows: chunk?.rawRows,
      core_inserted: 1,
      state_changed: 1,
      duration_ms: chunk?.durationMs,
      error: null,
    });
    expect(report.windowFrom).toEqual(new Date((report.watermark?.getTime() ?? 0) - LOOKBACK));
    const next = await runMerge(warehouse, { now: plusMinutes(now, 1), lookbackMs: LOOKBACK });
    expect(next.watermark).toEqual(now);
    expect(next.windowFrom).toEqual(new Date(now.getTime() - LOOKBACK));
  });

  it('lets only one of two simultaneous runs apply, and fences a run that lost its lease', async () => {
    const { warehouse, path } = local;
    const other = await openDuckDbWarehouse(path);
    try {
      const now = new Date('2026-06-01T00:00:00Z');
      await landRaw(warehouse, [
        { body: itemEvent('rims.item.committed.v1', 'race-1', 1), publishTime: plusMinutes(now, -1) },
      ]);
      const reports = await Promise.all([runMerge(warehouse, { now }), runMerge(other, { now })]);
      expect(reports.map((report) => report.outcome).sort()).toEqual(['skipped', 'succeeded']);

      const holder = new MergeLease(
        warehouse,
        { raw: 'rims_raw', core: 'rims_core', analytics: 'rims_analytics' },
        'holder-a',
        1_000,
      );
      expect(await holder.tryAcquire()).toBe(true);
      expect((await runMerge(other, { now })).outcome).toBe('skipped');
      await waitFor(async () => !(await holder.read())?.active, {
        timeoutMs: 10_000,
        description: 'the 1s lease to expire',
      });
      const thief = new MergeLease(
        other,
        { raw: 'rims_raw', core: 'rims_core', analytics: 'rims_analytics' },
        'holder-b',
        60_000,
      );
      expect(await thief.tryAcquire()).toBe(true);
      await expect(holder.renew()).rejects.toBeInstanceOf(MergeLeaseError);
      await thief.release();
      expect((await runMerge(warehouse, { now })).outcome).toBe('succeeded');
    } finally {
      await other.close();
    }
  });
});
