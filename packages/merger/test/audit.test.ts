import { describe, expect, it } from 'vitest';
import { runAudit, runMerge } from '../src/index.js';
import { itemEvent, landRaw, plusMinutes, useDuckDbWarehouse } from './helpers.js';

const DAY = 86_400_000;
const LOOKBACK = 2 * DAY;

describe('runAudit under live traffic', () => {
  const local = useDuckDbWarehouse();

  it('reports events the next run merges as pending, not findings; events behind the lookback are findings', async () => {
    const { warehouse } = local;
    const t0 = new Date('2026-10-01T00:00:00Z');
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'live-1', 1), publishTime: plusMinutes(t0, -60) },
      { body: itemEvent('rims.item.fulfilled.v1', 'live-1', 3), publishTime: plusMinutes(t0, -50) },
      { body: itemEvent('rims.item.committed.v1', 'live-3', 1), publishTime: plusMinutes(t0, -40) },
    ]);
    await runMerge(warehouse, { now: t0, lookbackMs: LOOKBACK });
    // Landed after the run: sequence 2 of live-1 late (published before the watermark, inside the
    // lookback), a new item, and a newer event of a merged item.
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.released.v1', 'live-1', 2), publishTime: plusMinutes(t0, -30) },
      { body: itemEvent('rims.item.committed.v1', 'live-2', 1), publishTime: plusMinutes(t0, 10) },
      { body: itemEvent('rims.item.released.v1', 'live-3', 2), publishTime: plusMinutes(t0, 20) },
    ]);
    const live = await runAudit(warehouse, { now: plusMinutes(t0, 30), lookbackMs: LOOKBACK });
    expect(live).toMatchObject({
      clean: true,
      subjects: [],
      gaps: [],
      behindLookback: [],
      repair: undefined,
    });
    expect(live.pending.map((event) => `${event.subject}/${String(event.sequence)}`)).toEqual([
      'live-1/2',
      'live-2/1',
      'live-3/2',
    ]);

    // A subscription that caught up after a five-day outage, and an item whose sequence 2 never came.
    await landRaw(warehouse, [
      {
        body: itemEvent('rims.item.committed.v1', 'live-4', 1),
        publishTime: new Date(t0.getTime() - 5 * DAY),
      },
      { body: itemEvent('rims.item.committed.v1', 'live-5', 1), publishTime: plusMinutes(t0, 40) },
      { body: itemEvent('rims.item.fulfilled.v1', 'live-5', 3), publishTime: plusMinutes(t0, 41) },
    ]);
    await runMerge(warehouse, { now: plusMinutes(t0, 60), lookbackMs: LOOKBACK });
    const findings = await runAudit(warehouse, { now: plusMinutes(t0, 61), lookbackMs: LOOKBACK });
    expect(findings).toMatchObject({
      clean: false,
      pending: [],
      behindLookback: [expect.objectContaining({ subject: 'live-4', sequence: 1 })],
      gaps: [{ subject: 'live-5', missingFrom: 2, missingTo: 2 }],
    });
    expect(findings.subjects.map((finding) => [finding.subject, finding.problems])).toEqual([
      ['live-4', ['no event of the item is in Core']],
      ['live-5', ['Core has 2 of sequences 1..3']],
    ]);
  });
});

describe('runAudit with more events behind the lookback than it lists', () => {
  const local = useDuckDbWarehouse();

  it('builds the repair from every event behind the lookback, not only the listed ones', async () => {
    const { warehouse } = local;
    const t0 = new Date('2026-11-01T00:00:00Z');
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'on-time', 1), publishTime: plusMinutes(t0, -60) },
    ]);
    await runMerge(warehouse, { now: t0, lookbackMs: LOOKBACK });
    // A subscription that caught up after a five-day outage: 150 events, a minute apart, all behind
    // the lookback; and three live events the next run merges.
    const outageStart = new Date(t0.getTime() - 5 * DAY);
    await landRaw(warehouse, [
      ...Array.from({ length: 150 }, (_, i) => ({
        body: itemEvent('rims.item.committed.v1', `late-${String(i).padStart(3, '0')}`, 1),
        publishTime: plusMinutes(outageStart, i),
      })),
      ...[1, 2, 3].map((minute) => ({
        body: itemEvent('rims.item.committed.v1', `live-${String(minute)}`, 1),
        publishTime: plusMinutes(t0, minute),
      })),
    ]);

    const findings = await runAudit(warehouse, {
      now: plusMinutes(t0, 10),
      lookbackMs: LOOKBACK,
      limit: 100,
    });
    expect(findings.clean).toBe(false);
    expect(findings.behindLookback).toHaveLength(100);
    // From the first event's minute to just past the last one's (minute 149), listed or not. Soft:
    // what matters most is that the printed repair really repairs, checked next.
    expect.soft(findings.repair).toMatchObject({
      from: outageStart,
      to: plusMinutes(outageStart, 150),
      command: `rims-merger run --from ${outageStart.toISOString()} --to ${plusMinutes(outageStart, 150).toISOString()}`,
    });

    const { from, to } = findings.repair ?? { from: t0, to: t0 };
    await runMerge(warehouse, { now: plusMinutes(t0, 11), lookbackMs: LOOKBACK, from, to });
    const after = await runAudit(warehouse, {
      now: plusMinutes(t0, 12),
      lookbackMs: LOOKBACK,
      limit: 100,
    });
    expect(after.behindLookback).toEqual([]);
    expect(after).toMatchObject({ clean: true, repair: undefined, subjects: [], gaps: [] });

    // The counts say the list was cut: 150 behind, and the three live events the full list crowded out.
    expect(findings).toMatchObject({
      limit: 100,
      behindLookbackCount: 150,
      pending: [],
      pendingCount: 3,
    });
    expect(after).toMatchObject({ behindLookbackCount: 0, pendingCount: 3 });
  });
});

describe('runAudit looking Core up by event time', () => {
  const local = useDuckDbWarehouse();

  it('finds merged events at the edges of the window’s event-time range, microseconds included', async () => {
    const { warehouse } = local;
    const t0 = new Date('2026-12-01T00:00:00Z');
    // Event times with microseconds: a millisecond Date of the range's edges would cut them off.
    const edges = [
      { ...itemEvent('rims.item.committed.v1', 'edge-1', 1), time: '2026-03-01T00:00:00.000999Z' },
      { ...itemEvent('rims.item.committed.v1', 'edge-2', 1), time: '2026-03-01T00:00:05.123999Z' },
    ];
    await landRaw(
      warehouse,
      edges.map((body, i) => ({ body, publishTime: plusMinutes(t0, -60 + i) })),
    );
    await runMerge(warehouse, { now: t0, lookbackMs: LOOKBACK });
    const report = await runAudit(warehouse, { now: plusMinutes(t0, 1), lookbackMs: LOOKBACK });
    expect(report).toMatchObject({ clean: true, pending: [], pendingCount: 0, behindLookbackCount: 0 });
  });
});

describe('runAudit with an event behind a short lookback in the current minute', () => {
  const local = useDuckDbWarehouse();

  it('prints a repair that runs as printed: its --to is never later than now', async () => {
    const { warehouse } = local;
    const seconds = (at: Date, n: number) => new Date(at.getTime() + n * 1000);
    const t0 = new Date('2026-11-01T00:00:30Z');
    const lookbackMs = 1_000;
    await runMerge(warehouse, { now: t0, lookbackMs });
    // Published 10 s before the run's window began, landed after it: behind the lookback.
    await landRaw(warehouse, [
      { body: itemEvent('rims.item.committed.v1', 'late-now', 1), publishTime: seconds(t0, -11) },
    ]);
    const auditedAt = seconds(t0, 5);
    const findings = await runAudit(warehouse, { now: auditedAt, lookbackMs });
    expect(findings.behindLookback.map((event) => event.subject)).toEqual(['late-now']);
    const repair = findings.repair ?? { from: t0, to: t0, command: '' };
    expect(repair.to.getTime()).toBeLessThanOrEqual(auditedAt.getTime());
    expect(repair.command).toBe(
      `rims-merger run --from ${repair.from.toISOString()} --to ${repair.to.toISOString()}`,
    );
    // Run as printed, right after the audit.
    await runMerge(warehouse, { now: seconds(auditedAt, 1), lookbackMs, from: repair.from, to: repair.to });
    const after = await runAudit(warehouse, { now: seconds(auditedAt, 2), lookbackMs });
    expect(after).toMatchObject({ clean: true, repair: undefined });
  });
});
