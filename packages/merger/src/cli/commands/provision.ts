import { existsSync } from 'node:fs';
import { DEFAULT_DATASETS } from '../../datasets.js';
import { provisionPubSub, provisionWarehouse, type ProvisionStep } from '../../provision.js';
import { parseWarehouseUrl } from '../../warehouse/url.js';
import { EXIT, pubsubClient, rawTableOptions, withWarehouse, type CommandContext } from '../context.js';
import { printSteps } from '../print.js';

/** `rims-merger provision [--dry-run] [--only warehouse|pubsub]`: the warehouse first, then Pub/Sub. */
export async function provisionCommand({ config, flags, out }: CommandContext): Promise<number> {
  const location = parseWarehouseUrl(config.warehouseUrl);
  const dryRun = flags['dry-run'] === true;
  const steps: ProvisionStep[] = [];
  // The BigQuery subscription needs its table first.
  if (config['--only'] !== 'pubsub') {
    steps.push(
      ...(await withWarehouse(
        config,
        (warehouse) => provisionWarehouse(warehouse, { rawTable: rawTableOptions(config), dryRun }),
        // A dry run creates nothing: without a file it plans against an empty in-memory database.
        { create: true, inMemory: dryRun && location.kind === 'duckdb' && !existsSync(location.path) },
      )),
    );
  }
  if (config['--only'] !== 'warehouse') {
    const pubsub = pubsubClient(config);
    try {
      steps.push(
        ...(await provisionPubSub(pubsub, {
          topic: config.PUBSUB_TOPIC,
          deadLetterTopic: config.PUBSUB_DEAD_LETTER_TOPIC,
          subscription: config.PUBSUB_SUBSCRIPTION,
          kind: location.kind === 'bigquery' ? 'bigquery' : 'pull',
          ...(location.kind === 'bigquery'
            ? { bigQueryTable: `${location.projectId}.${DEFAULT_DATASETS.raw}.item_events` }
            : {}),
          maxDeliveryAttempts: config.MERGER_MAX_DELIVERY_ATTEMPTS,
          dryRun,
        })),
      );
    } finally {
      await pubsub.close();
    }
  }
  if (flags.json === true) out(JSON.stringify(steps, null, 2));
  else printSteps(out, steps, dryRun);
  return EXIT.ok;
}
