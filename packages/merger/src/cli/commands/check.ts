import { runCheck, formatCheckLine } from '../../check/check.js';
import { countWaitingMessages } from '../../check/dead-letters.js';
import { EXIT, pubsubClient, withWarehouse, type CommandContext } from '../context.js';

/**
 * `rims-merger check`: one line per check (value, threshold, verdict), or `--json`; exit 0 when all
 * hold, 1 on any breach. The dead-letter subscription is the one `provision` creates, named as
 * PUBSUB_DEAD_LETTER_TOPIC.
 */
export async function checkCommand({ config, flags, out, meter }: CommandContext): Promise<number> {
  const pubsub = pubsubClient(config);
  try {
    const report = await withWarehouse(config, (warehouse) =>
      runCheck(warehouse, {
        maxLagMs: config['--max-lag'],
        maxRejectedRatio: config['--max-rejected-ratio'],
        maxDeadLetters: config['--max-dead-letters'],
        maxFailedRuns: config['--max-failed-runs'],
        windowMs: config['--window'],
        horizonMs: Math.max(config.MERGER_LOOKBACK, config['--max-lag']),
        countDeadLetters: () => countWaitingMessages(pubsub, config.PUBSUB_DEAD_LETTER_TOPIC),
        meter,
      }),
    );
    if (flags.json === true) out(JSON.stringify(report, null, 2));
    else for (const check of report.checks) out(formatCheckLine(check));
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await pubsub.close();
  }
}
