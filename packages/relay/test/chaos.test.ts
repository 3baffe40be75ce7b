/**
 * The short CI variant of the relay chaos scenario (test/chaos/scenario.ts): the binary behind a
 * fault-injecting proxy, replicas killed and restarted, PostgreSQL restarted, then `--once` after
 * a crash of every replica. The long variant: `pnpm chaos` (see the relay README).
 */
import { describe, expect, it } from 'vitest';
import { useTestPubSub } from '@rims/test-harness/vitest';
import { runChaos } from './chaos/scenario.js';

const pubsub = useTestPubSub();

describe('relay chaos (short)', () => {
  it('delivers every event, first deliveries in order per item, and --once drains after a crash', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e6));
    const lines: string[] = [];
    const report = await runChaos({
      seed,
      durationMs: 15_000,
      // One writer (about 250 events/s): the emulator is shared with the other test files.
      writers: 1,
      emulatorHost: pubsub.host,
      projectId: pubsub.projectId,
      log: (line) => lines.push(line),
    });
    const context = `seed ${String(seed)} (replay: CHAOS_SEED=${String(seed)}); ${JSON.stringify({ ...report, violations: report.violations.length })}\n${lines.join('\n')}`;
    expect(report.outages, context).toBeGreaterThan(3);
    expect(report.sigkills + report.sigterms, context).toBeGreaterThan(3);
    expect(report.violations, context).toEqual([]);
    expect(report.onceExitCodes, context).toEqual([0, 0]);
    expect(report.leftPending, context).toBe(0);
    expect(report.lost, context).toBe(0);
    expect(report.events, context).toBeGreaterThan(1_000);
  }, 150_000);
});
