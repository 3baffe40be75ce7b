import type { CreateSubscriptionOptions, PubSub } from '@google-cloud/pubsub';
import { rawItemEventsColumns } from '@rims/schemas';
import { resolveDatasets, type Datasets } from './datasets.js';
import { MergerConfigError } from './errors.js';
import { missingColumns } from './raw-schema.js';
import { upgradeStateLayout } from './state-layout.js';
import { DEFAULT_RAW_TABLE, renderFolder, type RawTableOptions } from './statements.js';
import type { Warehouse } from './warehouse/warehouse.js';

/** The DDL file that creates the raw table; its missing columns are added right after it. */
const RAW_TABLE_DDL = 'ddl/002_raw_item_events';
/** The DDL file that makes State; on DuckDB an older State table is renamed just before it. */
const STATE_DDL = 'ddl/030_core_item_commitment_state';

/** One thing provisioning did, or (dry run) would do. */
export interface ProvisionStep {
  readonly target: 'warehouse' | 'pubsub' | 'manual';
  /** What, such as `create topic projects/p/topics/rims-item-events`. */
  readonly action: string;
  /** `created`, `exists`, `applied`, `planned` (dry run) or `todo` (a manual step to do once). */
  readonly status: 'created' | 'exists' | 'applied' | 'planned' | 'todo';
  /** The SQL applied (warehouse steps). */
  readonly sql?: string;
}

/** Options of {@link provisionWarehouse}. */
export interface WarehouseProvisionOptions {
  readonly datasets?: Partial<Datasets>;
  readonly rawTable?: RawTableOptions;
  readonly dryRun?: boolean;
}

/**
 * Creates, idempotently, the datasets (BigQuery) or schemas (DuckDB), the tables, the validation
 * functions and the view. Safe to run again after an upgrade: tables are created when missing,
 * functions and views replaced, raw-table options re-applied.
 *
 * @example
 * const steps = await provisionWarehouse(warehouse, { rawTable: { partition: 'HOUR', partitionExpirationDays: 30 } });
 */
export async function provisionWarehouse(
  warehouse: Warehouse,
  options: WarehouseProvisionOptions = {},
): Promise<ProvisionStep[]> {
  const datasets = resolveDatasets(options.datasets);
  const steps: ProvisionStep[] = [];
  if (warehouse.dialect === 'bigquery') {
    const names = [datasets.raw, datasets.core, datasets.analytics];
    if (options.dryRun) {
      steps.push({
        target: 'warehouse',
        action: `create datasets ${names.join(', ')} if missing`,
        status: 'planned',
      });
    } else {
      const created = await warehouse.ensureDatasets(datasets);
      for (const name of names) {
        steps.push({
          target: 'warehouse',
          action: `dataset ${name}`,
          status: created.includes(name) ? 'created' : 'exists',
        });
      }
    }
  }
  // A raw table created by an older release lacks the columns and data fields the catalogue has
  // gained since; until they exist the subscription drops those fields (drop_unknown_fields). They
  // are added right after the raw table's DDL, before views over raw are created (both warehouses
  // bind a view's columns when it is created).
  const patchRaw = async () => {
    const existing = await warehouse.tableColumns(datasets.raw, 'item_events');
    const missing = existing ? missingColumns(rawItemEventsColumns(), existing) : [];
    if (missing.length > 0 && !options.dryRun)
      await warehouse.addColumns(datasets.raw, 'item_events', missing);
    for (const { path, column } of missing) {
      steps.push({
        target: 'warehouse',
        action: `add column ${path} ${column.type} to ${datasets.raw}.item_events (new in the event catalogue)`,
        status: options.dryRun ? 'planned' : 'applied',
      });
    }
  };
  let patched = false;
  for (const { path, sql } of renderFolder(
    warehouse.dialect,
    'ddl',
    datasets,
    options.rawTable ?? DEFAULT_RAW_TABLE,
  )) {
    if (warehouse.dialect === 'duckdb' && path.startsWith(STATE_DDL)) {
      if (await upgradeStateLayout(warehouse, datasets, options.dryRun)) {
        steps.push({
          target: 'warehouse',
          action: `rename table ${datasets.core}.item_commitment_state to item_commitment_state_base (State becomes a view over base and recent changes)`,
          status: options.dryRun ? 'planned' : 'applied',
        });
      }
    }
    if (!options.dryRun) await warehouse.script(sql, { statement: path, labels: { component: 'provision' } });
    steps.push({
      target: 'warehouse',
      action: `apply ${warehouse.dialect}/${path}`,
      status: options.dryRun ? 'planned' : 'applied',
      sql,
    });
    if (path.startsWith(RAW_TABLE_DDL)) {
      await patchRaw();
      patched = true;
    }
  }
  if (!patched) await patchRaw();
  return steps;
}

/** How the raw table is fed: a pull subscription the lander reads, or a managed BigQuery subscription. */
export type RawSubscriptionKind = 'pull' | 'bigquery';

/** Options of {@link provisionPubSub}. */
export interface PubSubProvisionOptions {
  /** Topic the relay publishes to; default `rims-item-events`. */
  readonly topic?: string;
  /** Where undeliverable messages go; default `rims-item-events-dead-letter`. */
  readonly deadLetterTopic?: string;
  /** Subscription of the dead-letter topic that keeps them for inspection; default the topic's name. */
  readonly deadLetterSubscription?: string;
  /** The subscription that lands raw rows; default `rims-item-events-raw`. */
  readonly subscription?: string;
  readonly kind: RawSubscriptionKind;
  /** For `bigquery`: the raw table as `PROJECT.DATASET.TABLE`. */
  readonly bigQueryTable?: string;
  /** Deliveries before a message is dead-lettered (5 to 100); default 5. */
  readonly maxDeliveryAttempts?: number;
  readonly dryRun?: boolean;
}

/**
 * The Pub/Sub names `provision` creates when not told otherwise (the contract's defaults, the same as
 * the binaries'). Exported so that the Terraform module's test compares its names with these.
 *
 * @example pubsub.topic(DEFAULT_PUBSUB_NAMES.topic)
 */
export const DEFAULT_PUBSUB_NAMES = {
  topic: 'rims-item-events',
  deadLetterTopic: 'rims-item-events-dead-letter',
  /** Keeps the dead letters: a topic keeps nothing without a subscription. */
  deadLetterSubscription: 'rims-item-events-dead-letter',
  subscription: 'rims-item-events-raw',
} as const;

/** How long the dead-letter subscription keeps its messages: 7 days. */
export const DEAD_LETTER_RETENTION = { seconds: 7 * 86_400 } as const;

/**
 * The request that creates the raw-landing subscription. `bigquery`: a BigQuery subscription that
 * writes with the table's schema, adds the metadata columns and drops unknown fields, dead-lettering
 * what it cannot write; `pull`: the same dead-letter policy on a pull subscription for the lander.
 * Message ordering is off: the merge does not need it and it would hold a key behind a bad message.
 *
 * @example rawSubscriptionRequest({ kind: 'bigquery', bigQueryTable: 'acme.rims_raw.item_events' }, 'projects/acme/topics/rims-item-events-dead-letter')
 */
export function rawSubscriptionRequest(
  options: Pick<PubSubProvisionOptions, 'kind' | 'bigQueryTable' | 'maxDeliveryAttempts'>,
  deadLetterTopic: string,
): CreateSubscriptionOptions {
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 5;
  if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
    throw new MergerConfigError(
      `max delivery attempts ${String(maxDeliveryAttempts)} must be a whole number from 5 to 100 (the range Pub/Sub accepts)`,
    );
  }
  const common: CreateSubscriptionOptions = {
    deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts },
    messageRetentionDuration: { seconds: 7 * 86_400 },
    enableMessageOrdering: false,
  };
  // The lander hands an unwritable message back at once; a retry backoff would only slow `--once`.
  // It lands and acknowledges a batch within a second or two, so a short ack deadline is safe, and it
  // bounds how long the messages a crashed lander had pulled wait before they are delivered again.
  if (options.kind === 'pull') return { ...common, ackDeadlineSeconds: 20 };
  if (!options.bigQueryTable || !/^[a-z0-9.:-]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(options.bigQueryTable)) {
    throw new MergerConfigError(
      `a BigQuery subscription needs its table as PROJECT.DATASET.TABLE (got ${String(options.bigQueryTable)})`,
    );
  }
  return {
    ...common,
    // Pub/Sub backs off a BigQuery subscription's failed writes (not schema errors, when a dead-letter
    // topic is set) within these bounds.
    retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 600 } },
    bigqueryConfig: {
      table: options.bigQueryTable,
      useTableSchema: true,
      writeMetadata: true,
      dropUnknownFields: true,
    },
  };
}

function grpcCode(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

const ALREADY_EXISTS = 6;

/**
 * Creates, idempotently, the topic, the dead-letter topic and a subscription keeping its messages,
 * and the raw-landing subscription (pull on the emulator or for a DuckDB warehouse; a BigQuery
 * subscription with dead-letter policy on GCP). Existing resources are left as they are.
 *
 * @example
 * await provisionPubSub(pubsub, { kind: 'pull' });
 */
export async function provisionPubSub(
  pubsub: PubSub,
  options: PubSubProvisionOptions,
): Promise<ProvisionStep[]> {
  const steps: ProvisionStep[] = [];
  const topicName = options.topic ?? DEFAULT_PUBSUB_NAMES.topic;
  const deadLetterName = options.deadLetterTopic ?? DEFAULT_PUBSUB_NAMES.deadLetterTopic;
  const deadLetterSubscriptionName = options.deadLetterSubscription ?? deadLetterName;
  const subscriptionName = options.subscription ?? DEFAULT_PUBSUB_NAMES.subscription;
  if (options.kind === 'bigquery' && pubsub.isEmulator) {
    throw new MergerConfigError(
      'the Pub/Sub emulator has no BigQuery subscriptions: provision a DuckDB warehouse (a pull subscription for `rims-merger land`) on the emulator, or unset PUBSUB_EMULATOR_HOST to provision on GCP',
    );
  }
  const topic = pubsub.topic(topicName);
  const deadLetter = pubsub.topic(deadLetterName);
  const request = rawSubscriptionRequest(options, deadLetter.name);

  const ensure = async (action: string, exists: () => Promise<boolean>, create: () => Promise<unknown>) => {
    if (options.dryRun) {
      steps.push({ target: 'pubsub', action, status: 'planned' });
      return;
    }
    if (await exists()) {
      steps.push({ target: 'pubsub', action, status: 'exists' });
      return;
    }
    try {
      await create();
      steps.push({ target: 'pubsub', action, status: 'created' });
    } catch (error) {
      if (grpcCode(error) !== ALREADY_EXISTS) throw error;
      steps.push({ target: 'pubsub', action, status: 'exists' });
    }
  };
  const topicExists = async (name: string) => (await pubsub.topic(name).exists())[0];
  const subscriptionExists = async (name: string) => (await pubsub.subscription(name).exists())[0];

  await ensure(
    `create topic ${topic.name}`,
    () => topicExists(topicName),
    () => pubsub.createTopic(topicName),
  );
  await ensure(
    `create dead-letter topic ${deadLetter.name}`,
    () => topicExists(deadLetterName),
    () => pubsub.createTopic(deadLetterName),
  );
  // Pub/Sub keeps a topic's messages only for its subscriptions: without this one, dead letters vanish.
  await ensure(
    `create subscription ${deadLetterSubscriptionName} on ${deadLetter.name} (keeps dead letters 7 days)`,
    () => subscriptionExists(deadLetterSubscriptionName),
    () =>
      deadLetter.createSubscription(deadLetterSubscriptionName, {
        messageRetentionDuration: { ...DEAD_LETTER_RETENTION },
      }),
  );
  const describe =
    options.kind === 'bigquery'
      ? `create BigQuery subscription ${subscriptionName} on ${topic.name} writing ${String(options.bigQueryTable)} (use_table_schema, write_metadata, drop_unknown_fields; dead letters after ${String(request.deadLetterPolicy?.maxDeliveryAttempts)} attempts)`
      : `create pull subscription ${subscriptionName} on ${topic.name} for rims-merger land (dead letters after ${String(request.deadLetterPolicy?.maxDeliveryAttempts)} attempts)`;
  await ensure(
    describe,
    () => subscriptionExists(subscriptionName),
    () => topic.createSubscription(subscriptionName, request),
  );

  if (options.kind === 'bigquery') {
    const agent = 'service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com';
    steps.push(
      {
        target: 'manual',
        action: `grant ${agent} roles/bigquery.dataEditor on ${String(options.bigQueryTable)} (before the subscription can write)`,
        status: 'todo',
      },
      {
        target: 'manual',
        action: `grant ${agent} roles/pubsub.publisher on ${deadLetter.name}`,
        status: 'todo',
      },
      {
        target: 'manual',
        action: `grant ${agent} roles/pubsub.subscriber on subscription ${subscriptionName} (to forward dead letters)`,
        status: 'todo',
      },
    );
  }
  return steps;
}
