import { SingleBar } from 'cli-progress';
import { ConfigError, RimsError } from '@rims/schemas';
import { runMerge } from '../../merge.js';
import { createScheduler } from '../../schedule.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { EXIT, pubsubClient, withWarehouse, type CommandContext } from '../context.js';
import { printRun } from '../print.js';
import { configuredLander } from './land.js';

/**
 * `rims-merger run`: one merge (stopped after the statement in hand at the first stop signal), or
 * with `--every` one per period until the first stop signal, landing first with `--land`.
 */
export function runCommand(context: CommandContext): Promise<number> {
  const { config, flags, logger, untilStopped } = context;
  return withWarehouse(config, async (warehouse) => {
    if (config.MERGER_EVERY === undefined) {
      // SIGTERM (a Cloud Run job's timeout, `docker stop`) stops the run after the statement in
      // hand: the chunk is recorded as failed and the lease given back, instead of left to expire.
      const stop = new AbortController();
      void untilStopped().then(() => {
        stop.abort();
      });
      await mergeOnce(context, warehouse, stop.signal);
      return EXIT.ok;
    }
    if (config['--from'] || flags['dry-run'] === true)
      throw new ConfigError([
        { path: '--every', code: 'custom', message: 'repeats incremental runs; drop --from/--to/--dry-run' },
      ]);
    const pubsub = flags.land === true ? pubsubClient(config) : undefined;
    const lander = pubsub ? configuredLander(config, warehouse, pubsub, logger) : undefined;
    const scheduler = createScheduler({
      everyMs: config.MERGER_EVERY,
      logger,
      task: async () => {
        // Landing trouble (undeliverable messages with no dead-letter policy) must not starve the
        // merge: what did land, and every earlier row, is still merged each cycle.
        if (lander)
          await lander.drain().catch((error: unknown) => {
            logger.error(
              { err: error, code: error instanceof RimsError ? error.code : undefined },
              'landing failed; merging what has landed',
            );
          });
        await mergeOnce(context, warehouse);
      },
    });
    scheduler.start();
    await untilStopped();
    await scheduler.stop({ timeout: 60_000 });
    await lander?.stop();
    await pubsub?.close();
    return EXIT.ok;
  });
}

async function mergeOnce(
  { config, flags, logger, out, io, meter }: CommandContext,
  warehouse: Warehouse,
  signal?: AbortSignal,
): Promise<void> {
  let bar: SingleBar | undefined;
  const report = await runMerge(warehouse, {
    ...(signal ? { signal } : {}),
    lookbackMs: config.MERGER_LOOKBACK,
    ...(config['--from'] ? { from: config['--from'] } : {}),
    ...(config['--to'] ? { to: config['--to'] } : {}),
    dryRun: flags['dry-run'] === true,
    chunkMs: config.MERGER_CHUNK,
    leaseTtlMs: config.MERGER_LEASE_TTL,
    logger,
    meter,
    onProgress: (done, total) => {
      if (total < 2 || !io.progressStream) return;
      bar ??= new SingleBar({
        format: 'repair [{bar}] {value}/{total} chunks | {percentage}% | eta {eta_formatted}',
        stream: io.progressStream,
        hideCursor: true,
      });
      if (done === 1) bar.start(total, 0);
      bar.update(done);
      if (done === total) bar.stop();
    },
  });
  if (flags.json === true) out(JSON.stringify(report, null, 2));
  else printRun(out, report);
}
