import type { PubSub } from '@google-cloud/pubsub';
import type { MergerConfig } from '../../config.js';
import { createLander, type Lander } from '../../lander.js';
import type { MergerLogger } from '../../logger.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { EXIT, pubsubClient, withWarehouse, type CommandContext } from '../context.js';

/** The lander of the configured subscription, writing into `warehouse`. */
export function configuredLander(
  config: MergerConfig,
  warehouse: Warehouse,
  pubsub: PubSub,
  logger: MergerLogger,
): Lander {
  return createLander({
    warehouse,
    pubsub,
    subscription: config.PUBSUB_SUBSCRIPTION,
    batchSize: config.MERGER_BATCH_SIZE,
    maxDeliveryAttempts: config.MERGER_MAX_DELIVERY_ATTEMPTS,
    logger,
  });
}

/** `rims-merger land [--once]`: until drained, or until the first stop signal. */
export function landCommand({ config, flags, logger, out, untilStopped }: CommandContext): Promise<number> {
  return withWarehouse(config, async (warehouse) => {
    const pubsub = pubsubClient(config);
    const lander = configuredLander(config, warehouse, pubsub, logger);
    try {
      if (flags.once === true) {
        const report = await lander.drain();
        out(
          `landed ${String(report.landed)} row(s); dead-lettered ${String(report.deadLettered)}; subscription drained`,
        );
        return EXIT.ok;
      }
      await lander.start();
      await untilStopped();
      return EXIT.ok;
    } finally {
      await lander.stop({ timeout: 30_000 });
      await pubsub.close();
    }
  });
}
