import { seededRandom } from '@rims/test-harness';
import { World, type WorldSettings } from './world.js';

/** One schedule: the world's shape, a seed for every choice, and how long the chaos lasts. */
export interface Schedule extends WorldSettings {
  readonly seed: number;
  readonly replicas: number;
  readonly chaosSteps: number;
  readonly crashes: number;
}

/** Steps allowed after the chaos for everything to be published: the bound on progress. */
export const CALM_STEP_LIMIT = 20_000;

/**
 * Runs one schedule: `chaosSteps` random steps with failures, lost answers, lease moves, crashes
 * and new events; then calm (Pub/Sub healthy, every lease held, no new events) until nothing is
 * left. Throws `SimViolation` on the first broken promise; returns the world for inspection.
 */
export function simulate(schedule: Schedule): World {
  const random = seededRandom(schedule.seed);
  const world = new World(schedule, random);
  for (let i = 0; i < schedule.replicas; i++) world.startReplica();
  const live = () => world.replicas.filter((r) => r.alive);
  for (let p = 0; p < schedule.partitions; p++) {
    const owner = world.pick(live());
    if (owner) world.grant(owner, p);
  }
  let crashes = 0;

  for (let step = 0; step < schedule.chaosSteps; step++) {
    const roll = random();
    const replica = world.pick(live());
    if (roll < 0.12 && world.events.length < schedule.maxEvents) world.write();
    else if (roll < 0.3 && replica) world.poll(replica);
    else if (roll < 0.4) {
      const key = world.pick(world.sendable());
      if (key) world.send(key.replica, key.key);
    } else if (roll < 0.75) world.complete(Math.floor(random() * world.operations.length));
    else if (roll < 0.85) world.now += Math.floor(random() * 60);
    else if (roll < 0.92 && replica) {
      const partition = Math.floor(random() * schedule.partitions);
      if (random() < 0.5) world.revoke(replica, partition);
      else world.grant(replica, partition);
    } else if (roll < 0.94 && replica && crashes < schedule.crashes) {
      crashes += 1;
      world.crash(replica);
      world.startReplica();
    }
  }

  // Calm: Pub/Sub heals, every lease finds a live owner, writers stop. Everything must drain.
  world.calm = true;
  for (let step = 0; !world.quiescent(); step++) {
    if (step > CALM_STEP_LIMIT) {
      throw new Error(
        `no progress: ${String(world.events.filter((e) => !e.published && !e.dead).length)} event(s) left after ${String(CALM_STEP_LIMIT)} calm steps`,
      );
    }
    for (let p = 0; p < schedule.partitions; p++) {
      const owner = world.pick(live());
      if (owner) world.grant(owner, p);
    }
    const roll = random();
    const sendable = world.sendable();
    if (roll < 0.3) for (const replica of live()) world.poll(replica);
    else if (roll < 0.5 && sendable.length > 0) {
      const key = world.pick(sendable);
      if (key) world.send(key.replica, key.key);
    } else if (roll < 0.9 && world.operations.length > 0)
      world.complete(Math.floor(random() * world.operations.length));
    else world.now += 50;
  }
  world.checkComplete();
  return world;
}
