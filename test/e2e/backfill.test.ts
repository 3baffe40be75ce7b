/**
 * Going live end to end: items that predate the outbox are backfilled by `rims-outbox backfill`
 * (the real binary) while live writers change some of them, relayed to the Pub/Sub emulator, landed
 * and merged into a DuckDB warehouse, whose State then equals PostgreSQL item by item. Then an UPDATE
 * written around the outbox, found by `--items` backfill and `rims-merger audit`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLander,
  openDuckDbWarehouse,
  provisionPubSub,
  provisionWarehouse,
  runAudit,
  runMerge,
  type Warehouse,
} from '@rims/merger';
import { createRelay, type Relay } from '@rims/relay';
import { spawnNode, waitFor } from '@rims/test-harness';
import { useTestDatabase, useTestPubSub, useScratchDirectory } from '@rims/test-harness/vitest';
import {
  STOCK_QUERY,
  createStock,
  itemIds,
  startLiveWriters,
  type StockDb,
} from '../../packages/outbox/test/stock-app.js';

const ITEMS = 2_000;
const OUTBOX_BIN = fileURLToPath(new URL('../../packages/outbox/dist/bin.js', import.meta.url));
const MERGER_BIN = fileURLToPath(new URL('../../packages/merger/dist/bin.js', import.meta.url));
const database = useTestDatabase({ label: 'e2e_backfill' });
const pubsub = useTestPubSub();
const dir = useScratchDirectory('backfill');
const warehousePath = join(dir, 'warehouse.duckdb');
const names = {
  topic: pubsub.uniqueName('backfill-events'),
  subscription: pubsub.uniqueName('backfill-raw'),
  deadLetterTopic: pubsub.uniqueName('backfill-dead'),
};
let relay: Relay;

async function withWarehouse<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openDuckDbWarehouse(warehousePath);
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** Waits until the relay published everything, then lands and merges it all. */
async function drainToWarehouse(db: Kysely<StockDb>): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await sql<{ n: string }>`
        SELECT count(*) AS n FROM rims_outbox.events WHERE published_at IS NULL`.execute(db);
      return Number(rows[0]?.n) === 0;
    },
    { timeoutMs: 120_000, description: 'the relay to publish every event' },
  );
  await withWarehouse(async (warehouse) => {
    const lander = createLander({ warehouse, pubsub: pubsub.client(), subscription: names.subscription });
    await lander.drain();
    await lander.stop();
    await runMerge(warehouse, { lookbackMs: 3_600_000 });
  });
}

/** The backfill binary with the test database; resolves with its exit status and output. */
async function backfill(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawnNode(OUTBOX_BIN, ['backfill', '--query', STOCK_QUERY, ...args], {
    DATABASE_URL: database.url,
    LOG_LEVEL: 'warn',
  });
  const { code } = await child.exited;
  return { code, output: child.output() };
}

interface Row {
  item_id: string;
  status: string;
  order_id: string | null;
  version: number;
}

/** PostgreSQL's truth: each item's row and its outbox counter (the version its last event brings). */
async function postgresItems(db: Kysely<StockDb>): Promise<Row[]> {
  const { rows } = await sql<{ item_id: string; status: string; order_id: string | null; version: string }>`
    SELECT i.id AS item_id, i.status, i.order_id, s.last_sequence AS version
    FROM stock_items i LEFT JOIN rims_outbox.subject_sequences s ON s.subject = i.id
    ORDER BY i.id`.execute(db);
  return rows.map((row) => ({ ...row, version: Number(row.version) }));
}

async function warehouseItems(): Promise<Row[]> {
  return withWarehouse(async (warehouse) => {
    const { rows } = await warehouse.query(
      'SELECT item_id, status, order_id, version FROM rims_core.item_commitment_state ORDER BY item_id',
    );
    return rows.map((row) => ({
      item_id: String(row.item_id),
      status: String(row.status),
      order_id: typeof row.order_id === 'string' ? row.order_id : null,
      version: Number(row.version),
    }));
  });
}

beforeAll(async () => {
  await provisionPubSub(pubsub.client(), { ...names, kind: 'pull' });
  await withWarehouse((warehouse) => provisionWarehouse(warehouse).then(() => undefined));
  relay = createRelay({
    databaseUrl: database.url,
    emulatorHost: pubsub.host,
    projectId: pubsub.projectId,
    topic: names.topic,
    replicaId: 'backfill-relay-1',
    heartbeatEventIntervalMs: 0,
    // Publish timeouts on a loaded machine are retried; only errors are worth the test's output.
    logger: pino({ level: 'error' }),
  });
  await relay.start();
}, 60_000);

afterAll(async () => {
  await relay.stop({ timeout: 5_000 });
});

describe('going live with rims-outbox backfill', () => {
  it('bootstraps existing items under live writes; the warehouse then equals PostgreSQL item by item', async () => {
    const db = database.kysely<StockDb>();
    await createStock(db, ITEMS);
    const writers = startLiveWriters(db, itemIds(300), { writers: 3, seed: 11 });
    const result = await backfill(['--batch-size', '100']);
    const changes = await writers.stop();
    expect(result.code, result.output).toBe(0);
    expect(changes).toBeGreaterThan(0);

    await drainToWarehouse(db);
    expect(await warehouseItems()).toEqual(await postgresItems(db));
    const audit = await withWarehouse((warehouse) => runAudit(warehouse, { lookbackMs: 3_600_000 }));
    expect(audit.clean, JSON.stringify(audit)).toBe(true);
  }, 240_000);

  it('finds an UPDATE written around the outbox with an --items backfill and rims-merger audit', async () => {
    const db = database.kysely<StockDb>();
    // A support script cancels an item without its event: the warehouse still says committed.
    const planted = 'item-0000999';
    expect(
      (await db.selectFrom('stock_items').select('status').where('id', '=', planted).executeTakeFirst())
        ?.status,
    ).toBe('committed');
    await sql`UPDATE stock_items SET status = 'cancelled' WHERE id = ${planted}`.execute(db);

    const result = await backfill(['--items', planted, '--name', 'reconcile']);
    expect(result.code, result.output).toBe(0);
    await drainToWarehouse(db);

    const audit = await withWarehouse((warehouse) => runAudit(warehouse, { lookbackMs: 3_600_000 }));
    expect(audit.clean).toBe(false);
    expect(audit.discrepancyCount).toBe(1);
    expect(audit.discrepancies[0]).toMatchObject({
      itemId: planted,
      snapshot: { status: 'cancelled' },
      derived: { status: 'committed' },
    });
    const cli = spawnNode(MERGER_BIN, ['audit', '--from', '1h'], {
      WAREHOUSE_URL: `duckdb://${warehousePath}`,
      LOG_LEVEL: 'silent',
    });
    expect((await cli.exited).code, cli.output()).toBe(1);
    expect(cli.output()).toContain(planted);
    // The snapshot already corrected the warehouse.
    expect(await warehouseItems()).toEqual(await postgresItems(db));
  }, 240_000);
});
