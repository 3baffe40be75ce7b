import { runAudit } from '../../audit.js';
import { EXIT, withWarehouse, type CommandContext } from '../context.js';
import { printAudit } from '../print.js';

/** `rims-merger audit`: exit 0 when clean, 1 with findings. */
export async function auditCommand({ config, flags, out }: CommandContext): Promise<number> {
  const report = await withWarehouse(config, (warehouse) =>
    runAudit(warehouse, {
      lookbackMs: config.MERGER_LOOKBACK,
      limit: config['--limit'],
      ...(config['--from'] ? { from: config['--from'] } : {}),
      ...(config['--to'] ? { to: config['--to'] } : {}),
    }),
  );
  if (flags.json === true) out(JSON.stringify(report, null, 2));
  else printAudit(out, report);
  return report.clean ? EXIT.ok : EXIT.failed;
}
