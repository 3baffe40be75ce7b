import { rebuildHistory } from '../../history-rebuild.js';
import { EXIT, withWarehouse, type CommandContext } from '../context.js';
import { printRebuild } from '../print.js';

/**
 * `rims-merger rebuild-history`: history, spans and daily_committed rebuilt from all of Core in one
 * transaction under the merge lease. Exit 0 when rebuilt (or estimated with `--dry-run`), 3 when
 * another run holds the lease (nothing changed: run it again once that run is done).
 */
export async function rebuildHistoryCommand({ config, flags, logger, out }: CommandContext): Promise<number> {
  const report = await withWarehouse(config, (warehouse) =>
    rebuildHistory(warehouse, {
      dryRun: flags['dry-run'] === true,
      leaseTtlMs: config.MERGER_LEASE_TTL,
      logger,
    }),
  );
  if (flags.json === true) out(JSON.stringify(report, null, 2));
  else printRebuild(out, report);
  return report.outcome === 'skipped' ? EXIT.leaseHeld : EXIT.ok;
}
