import { describe, expect, it } from 'vitest';
import { runCheck, runMerge } from '../src/index.js';
import { heartbeatEvent, landRaw, plusMinutes, useDuckDbWarehouse } from './helpers.js';

describe('runCheck, heartbeat freshness, on a DuckDB warehouse', () => {
  const local = useDuckDbWarehouse();

  it('says a newer heartbeat waits in Raw, in seconds, and never for one the merge rejected', async () => {
    const { warehouse } = local;
    const now = new Date();
    const secondsBefore = (seconds: number) => new Date(now.getTime() - seconds * 1000);
    const merged = heartbeatEvent('relay-1', 1, secondsBefore(120));
    // Newer than the merged one, but invalid (no replica): rejected, it can never reach Core.
    const rejected = {
      ...heartbeatEvent('relay-1', 2, secondsBefore(100)),
      data: { sent_at: now.toISOString() },
    };
    await landRaw(warehouse, [
      { body: merged, publishTime: secondsBefore(110) },
      { body: rejected, publishTime: secondsBefore(90) },
    ]);
    await runMerge(warehouse, { from: plusMinutes(now, -10), to: secondsBefore(60) });
    const age = async () => (await runCheck(warehouse, { now })).checks[0];

    expect((await age())?.detail).toBe(
      `newest heartbeat in Core: replica relay-1, sent ${secondsBefore(120).toISOString()}`,
    );

    await landRaw(warehouse, [
      { body: heartbeatEvent('relay-1', 3, secondsBefore(8)), publishTime: secondsBefore(7) },
    ]);
    expect((await age())?.detail).toMatch(
      /; a newer heartbeat landed in Raw 7s ago and is not in Core: the merger is behind$/,
    );
  });
});
