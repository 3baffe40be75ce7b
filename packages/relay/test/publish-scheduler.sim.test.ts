/**
 * Property-based simulation of the relay's ordering logic (src/publishing/publish-scheduler.ts):
 * thousands of random schedules of a simulated outbox, relay replicas and Pub/Sub (see
 * sim/world.ts), each checked for per-subject order of first deliveries, no loss, and progress.
 *
 * Replay a failure exactly: SIM_SEED=<seed> SIM_PATH=<path> pnpm exec vitest run packages/relay/test/publish-scheduler.sim.test.ts
 * More schedules: SIM_RUNS=100000 (default 10,000).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate, type Schedule } from './sim/simulate.js';

const schedules: fc.Arbitrary<Schedule> = fc
  .record({
    seed: fc.integer(),
    subjects: fc.integer({ min: 1, max: 4 }),
    partitions: fc.integer({ min: 1, max: 3 }),
    maxEvents: fc.integer({ min: 1, max: 40 }),
    poisonRate: fc.constantFrom(0, 0, 0.05, 0.2),
    failRate: fc.constantFrom(0, 0.05, 0.2, 0.5),
    acceptedThenFailRate: fc.constantFrom(0, 0.05, 0.2),
    batchSize: fc.integer({ min: 1, max: 8 }),
    extraInFlight: fc.integer({ min: 0, max: 12 }),
    clientBatch: fc.integer({ min: 1, max: 4 }),
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    replicas: fc.integer({ min: 1, max: 3 }),
    chaosSteps: fc.integer({ min: 20, max: 400 }),
    crashes: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ extraInFlight, ...rest }) => ({ ...rest, maxInFlight: rest.batchSize + extraInFlight }));

const runs = Number(process.env.SIM_RUNS ?? 10_000);
const replay =
  process.env.SIM_SEED === undefined
    ? {}
    : { seed: Number(process.env.SIM_SEED), ...(process.env.SIM_PATH ? { path: process.env.SIM_PATH } : {}) };

describe('the publish scheduler, simulated', () => {
  it(`keeps per-subject order of first deliveries, loses nothing and drains, over ${String(runs)} schedules`, () => {
    let events = 0;
    let deliveries = 0;
    fc.assert(
      fc.property(schedules, (schedule) => {
        const world = simulate(schedule);
        events += world.events.length;
        deliveries += world.accepted.length;
      }),
      { numRuns: runs, ...replay },
    );
    // The schedules did publish (a simulation that delivers nothing proves nothing).
    expect(events).toBeGreaterThan(runs);
    expect(deliveries).toBeGreaterThanOrEqual(events * 0.9);
  }, 300_000);
});
