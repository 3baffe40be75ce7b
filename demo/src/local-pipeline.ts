/**
 * The whole pipeline on one machine, in one process: PostgreSQL with the outbox, the relay, the Pub/Sub
 * emulator, the lander (the local stand-in for the BigQuery subscription) and the merger on a DuckDB
 * file. Services are found or started the way the test harness does it.
 */
import { measureLag, type LagSample } from './history-report.js';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import {
  createLander,
  createScheduler,
  openWarehouse,
  provisionPubSub,
  provisionWarehouse,
  runMerge,
  type Lander,
  type Scheduler,
  type Warehouse,
} from '@rims/merger';
import { createOutbox, migrate } from '@rims/outbox';
import { createRelay, type Relay } from '@rims/relay';
import { HEARTBEAT_SUBJECT_PREFIX } from '@rims/schemas';
import {
  createDatabase,
  dropDatabase,
  emulatorClientConfig,
  resolvePostgres,
  resolvePubSubEmulator,
  withDatabase,
  type PostgresService,
  type PubSubEmulator,
} from '@rims/test-harness';
import {
  InventoryService,
  createInventorySchema,
  seedExistingItems,
  seedItems,
  type ExistingItems,
  type InventoryDatabase,
} from './inventory-service.js';

/** Options of {@link startLocalPipeline}. */
export interface LocalPipelineOptions {
  /** Items the sample application starts with. */
  readonly items: number;
  /** Items written before the outbox went live (no events), for a backfill to bootstrap; default 0. */
  readonly existingItems?: number;
  /** The DuckDB file (recreated); for example `.data/demo/warehouse.duckdb`. */
  readonly warehouseFile: string;
  /** PostgreSQL database of the demo (dropped and recreated). */
  readonly database: string;
  /** How often the lander drains and the merger runs. */
  readonly mergeEveryMs: number;
  /** Where relay and merger log (JSON); warnings and errors only by default. */
  readonly logger?: Logger;
}

/** Live counts of what the pipeline did, for the progress line. */
export interface PipelineCounts {
  published: number;
  landed: number;
  /** Events added to rims_core.item_events. */
  merged: number;
  /** Merge cycles completed. */
  cycles: number;
  /** Newest event time applied to the state, if any. */
  newestMerged: Date | undefined;
  potentiallyCommitted: number;
  lastError: string | undefined;
  /** Live view and State lags measured after each landing that brought rows, before its merge. */
  lags: LagSample[];
}

/** A running local pipeline. */
export interface LocalPipeline {
  readonly postgres: PostgresService;
  readonly emulator: PubSubEmulator;
  readonly db: Kysely<InventoryDatabase>;
  /** The demo database's URL (for a backfill's own pool). */
  readonly databaseUrl: string;
  /** The items that predate the outbox (none unless `existingItems` was given). */
  readonly existing: ExistingItems;
  readonly inventory: InventoryService;
  readonly itemIds: readonly string[];
  readonly warehouse: Warehouse;
  readonly counts: PipelineCounts;
  /** Events not yet published (pending, not dead). */
  backlog(): Promise<number>;
  /** Lands everything on the subscription and merges it now (between scheduled cycles). */
  settle(): Promise<void>;
  /** Stops the relay, the lander and the merger, and closes every connection (idempotent). */
  stop(): Promise<void>;
}

/** Finds or starts the services, prepares database and warehouse, and starts relay, lander and merger. */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const logger = options.logger ?? pino({ level: 'warn' }, pino.destination(2));
  const [postgres, emulator] = await Promise.all([resolvePostgres(), resolvePubSubEmulator()]);
  const cleanups: (() => Promise<unknown>)[] = [() => emulator.stop(), () => postgres.stop()];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    await dropDatabase(postgres.url, options.database);
    await createDatabase(postgres.url, options.database);
    const databaseUrl = withDatabase(postgres.url, options.database);
    const db = new Kysely<InventoryDatabase>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 12 }) }),
    });
    cleanups.push(() => db.destroy());
    await migrate(db);
    await createInventorySchema(db);
    const existing = await seedExistingItems(db, options.existingItems ?? 0);
    const itemIds = await seedItems(db, options.items);
    const inventory = new InventoryService(db, createOutbox({ source: '//rims/demo' }));

    rmSync(options.warehouseFile, { force: true });
    rmSync(`${options.warehouseFile}.wal`, { force: true });
    mkdirSync(dirname(options.warehouseFile), { recursive: true });
    const warehouse = await openWarehouse(`duckdb://${options.warehouseFile}`);
    cleanups.push(() => warehouse.close());
    const pubsub = new PubSub(emulatorClientConfig(emulator.host, emulator.projectId));
    cleanups.push(() => pubsub.close());
    await provisionWarehouse(warehouse);
    await provisionPubSub(pubsub, { kind: 'pull' });

    const counts: PipelineCounts = {
      published: 0,
      landed: 0,
      merged: 0,
      cycles: 0,
      newestMerged: undefined,
      potentiallyCommitted: 0,
      lastError: undefined,
      lags: [],
    };
    const relay: Relay = createRelay({
      databaseUrl,
      pubsub,
      logger: logger.child({ component: 'relay' }),
      // Often enough that a short demo merges a few, for the lag figure at the end.
      heartbeatEventIntervalMs: 1_000,
      onPublished: (events) => {
        // Item events only, comparable with what was written; heartbeats are measured on their own.
        counts.published += events.filter(
          (event) => !event.subject.startsWith(HEARTBEAT_SUBJECT_PREFIX),
        ).length;
      },
    });
    await relay.start();
    cleanups.push(() => relay.stop({ timeout: 8_000 }));

    const lander: Lander = createLander({ warehouse, pubsub, logger: logger.child({ component: 'lander' }) });
    // DuckDB has one writer per file: landing and merging take turns in one cycle.
    const cycle = async () => {
      try {
        await lander.drain();
        const landedBefore = counts.landed;
        counts.landed = lander.report().landed;
        if (counts.landed > landedBefore) counts.lags.push(await measureLag(warehouse));
        const report = await runMerge(warehouse, {
          lookbackMs: 10 * 60_000,
          logger: logger.child({ component: 'merger' }),
        });
        counts.merged += report.chunks.reduce((sum, chunk) => sum + chunk.coreInserted, 0);
        const { rows } = await warehouse.query(
          `SELECT count(*) FILTER (WHERE is_potentially_committed) AS committed, max(last_event_time) AS newest
           FROM rims_core.item_commitment_state`,
          { statement: 'demo: progress' },
        );
        counts.potentiallyCommitted = Number(rows[0]?.committed ?? 0);
        const newest = rows[0]?.newest;
        counts.newestMerged = newest instanceof Date ? newest : undefined;
        counts.cycles += 1;
        counts.lastError = undefined;
      } catch (error) {
        counts.lastError = error instanceof Error ? error.message : String(error);
        throw error;
      }
    };
    let running: Promise<void> = Promise.resolve();
    const serialised = () => (running = running.then(cycle, cycle));
    const scheduler: Scheduler = createScheduler({ everyMs: options.mergeEveryMs, task: serialised, logger });
    scheduler.start();
    cleanups.push(() => scheduler.stop({ timeout: 30_000 }));

    return {
      postgres,
      emulator,
      db,
      databaseUrl,
      existing,
      inventory,
      itemIds,
      warehouse,
      counts,
      async backlog() {
        const result = await sql<{ n: string }>`
          SELECT count(*) AS n FROM rims_outbox.events WHERE published_at IS NULL AND dead_at IS NULL`.execute(
          db,
        );
        return Number(result.rows[0]?.n ?? 0);
      },
      async settle() {
        await serialised();
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
