import { setTimeout as sleep } from 'node:timers/promises';
import { MergerConfigError } from './errors.js';
import { silentLogger, type MergerLogger } from './logger.js';
import { within } from '@rims/schemas';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  /** Start a task this often (measured start to start; a slow task delays the next, never overlaps it). */
  readonly everyMs: number;
  /** One cycle, such as land then merge. A failure is logged and the loop goes on. */
  readonly task: () => Promise<unknown>;
  readonly logger?: MergerLogger;
}

/** A loop that runs a task every so often: `rims-merger run --every 1m`. */
export interface Scheduler {
  /** Starts the first cycle at once, then one every `everyMs`. */
  start(): void;
  /** Stops after the cycle in hand (waiting up to `timeout` ms, default 60s). */
  stop(options?: { timeout?: number }): Promise<void>;
  /** Cycles started so far. */
  readonly cycles: number;
}

/**
 * Runs `task` now and then every `everyMs` until stopped. Meant for local use; in production
 * Cloud Scheduler starts a Cloud Run job (see the README).
 *
 * @throws {MergerConfigError} when `everyMs` is not a positive number
 * @example
 * const scheduler = createScheduler({ everyMs: 60_000, task: () => runMerge(warehouse) });
 * scheduler.start();
 * process.once('SIGTERM', () => void scheduler.stop({ timeout: 10_000 }));
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  // Zero (or NaN) would start the next cycle at once, forever: a busy loop.
  if (!Number.isFinite(options.everyMs) || options.everyMs <= 0)
    throw new MergerConfigError(
      `--every ${String(options.everyMs)} ms must be a positive duration such as 1m`,
    );
  const logger = options.logger ?? silentLogger();
  let loop: Promise<void> | undefined;
  let abort: AbortController | undefined;
  let cycles = 0;
  return {
    get cycles() {
      return cycles;
    },
    start() {
      if (loop) return;
      const controller = new AbortController();
      abort = controller;
      loop = (async () => {
        while (!controller.signal.aborted) {
          const started = Date.now();
          cycles += 1;
          try {
            await options.task();
          } catch (error) {
            logger.error({ err: error }, 'scheduled cycle failed; the next one runs on time');
          }
          const wait = Math.max(0, options.everyMs - (Date.now() - started));
          await sleep(wait, undefined, { signal: controller.signal }).catch(() => undefined);
        }
      })();
    },
    async stop({ timeout = 60_000 } = {}) {
      abort?.abort();
      if (loop) {
        if (!(await within(loop, timeout)))
          logger.warn({ timeout }, 'the cycle in hand did not finish in time');
        loop = undefined;
      }
    },
  };
}
