/**
 * Simulated RIMS traffic: random but valid item transitions at a steady rate, from a seed so a run
 * can be repeated exactly (the seed is printed by whoever starts it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ItemStatus } from '@rims/schemas';
import { seededRandom } from '@rims/test-harness';
import type { ChangeResult, InventoryService } from './inventory-service.js';

/** Options of {@link runTraffic}. */
export interface TrafficOptions {
  /** Items to act on; all must start `available`. */
  readonly items: readonly string[];
  readonly seed: number;
  /** Target rate of applied changes per second. */
  readonly eventsPerSecond: number;
  /** Stop after this long... */
  readonly durationMs?: number;
  /** ...or after this many attempted changes, whichever comes first. */
  readonly maxEvents?: number;
  /** Changes in flight at once (default 8), so transactions really overlap. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Called after each applied change (for live progress). */
  readonly onApplied?: (kind: keyof TrafficStats['byType']) => void;
}

/** What a traffic run did. */
export interface TrafficStats {
  applied: number;
  /** Attempts the service refused (two workers raced for one item). */
  refused: number;
  byType: Record<'committed' | 'released' | 'fulfilled' | 'cancelled', number>;
}

/**
 * Drives the inventory with random valid transitions until the duration, the event budget or the
 * signal ends it.
 */
export async function runTraffic(service: InventoryService, options: TrafficOptions): Promise<TrafficStats> {
  const random = seededRandom(options.seed);
  const shadow = new Map<string, ItemStatus>(options.items.map((id) => [id, 'available']));
  const busy = new Set<string>();
  const stats: TrafficStats = {
    applied: 0,
    refused: 0,
    byType: { committed: 0, released: 0, fulfilled: 0, cancelled: 0 },
  };
  const started = Date.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const budget = options.maxEvents ?? Infinity;
  let issued = 0;
  let orders = 0;

  const done = () => options.signal?.aborted === true || Date.now() >= deadline || issued >= budget;

  const pickItem = (): string | undefined => {
    for (let tries = 0; tries < 50; tries++) {
      const id = options.items[Math.floor(random() * options.items.length)];
      if (id !== undefined && !busy.has(id) && shadow.get(id) !== 'fulfilled') return id;
    }
    return undefined;
  };

  const act = async (id: string): Promise<void> => {
    const status = shadow.get(id);
    let kind: keyof TrafficStats['byType'];
    let result: ChangeResult;
    if (status === 'available' || status === 'cancelled') {
      kind = 'committed';
      orders += 1;
      result = await service.commit(
        id,
        `order-${String(options.seed)}-${String(orders)}`,
        1 + Math.floor(random() * 3),
      );
    } else {
      const roll = random();
      if (roll < 0.4) {
        kind = 'fulfilled';
        result = await service.fulfill(id, random() < 0.5 ? `shipment-${String(orders)}` : undefined);
      } else if (roll < 0.7) {
        kind = 'released';
        result = await service.release(id, 'hold expired');
      } else {
        kind = 'cancelled';
        result = await service.cancel(id, 'customer cancelled');
      }
    }
    if (result === 'applied') {
      stats.applied += 1;
      stats.byType[kind] += 1;
      shadow.set(id, kind === 'released' ? 'available' : kind);
      options.onApplied?.(kind);
    } else {
      stats.refused += 1;
    }
  };

  const worker = async (): Promise<void> => {
    while (!done()) {
      // Pace by slots: change n is due at start + n / rate.
      const due = started + (issued * 1_000) / options.eventsPerSecond;
      issued += 1;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (options.signal?.aborted === true) break;
      const id = pickItem();
      if (id === undefined) continue;
      busy.add(id);
      try {
        await act(id);
      } finally {
        busy.delete(id);
      }
    }
  };

  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, () => worker()));
  return stats;
}
