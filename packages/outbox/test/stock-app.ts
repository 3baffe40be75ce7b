/**
 * A RIMS-like application for the backfill tests: a `stock_items` table that predates the outbox,
 * live writers that change items and enqueue the matching events as fast as they can, and the state
 * the outbox implies (each item's events folded in sequence order, a snapshot being the state).
 */
import { sql, type Kysely } from 'kysely';
import { seededRandom } from '@rims/test-harness';
import { createOutbox, type EventInput } from '../src/index.js';
import { runCli } from '../src/cli/cli.js';

/** The application's items table. */
export interface StockDb {
  stock_items: {
    id: string;
    status: string;
    order_id: string | null;
    sku: string;
    quantity: number;
    location_id: string | null;
  };
}

/** One item's state, as the application holds it and as the outbox implies it. */
export interface ItemState {
  status: string;
  order_id: string | null;
  sku: string | null;
  quantity: number | null;
  location_id: string | null;
}

/** The backfill query of this application. */
export const STOCK_QUERY =
  'SELECT id AS item_id, status, order_id, sku, quantity, location_id FROM stock_items';

/** Item ids `item-0000001` ... in item_id order. */
export function itemIds(count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `item-${String(from + i).padStart(7, '0')}`);
}

/**
 * Creates `stock_items` (once) with `count` items that have no events: every third committed to an
 * order at a location, the others available.
 */
export async function createStock(db: Kysely<StockDb>, count: number, from = 1): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS stock_items (
      id text PRIMARY KEY,
      status text NOT NULL,
      order_id text,
      sku text NOT NULL,
      quantity integer NOT NULL,
      location_id text
    )`.execute(db);
  await sql`
    INSERT INTO stock_items (id, status, order_id, sku, quantity, location_id)
    SELECT 'item-' || lpad(g::text, 7, '0'),
           CASE WHEN g % 3 = 0 THEN 'committed' ELSE 'available' END,
           CASE WHEN g % 3 = 0 THEN 'order-' || g END,
           'SKU-' || (g % 97),
           1 + g % 5,
           CASE WHEN g % 3 = 0 THEN 'store-' || (g % 7) END
    FROM generate_series(${from}::integer, ${from + count - 1}::integer) AS g
    ON CONFLICT (id) DO NOTHING`.execute(db);
}

const appOutbox = createOutbox({ source: '//rims/app', notify: false });

/**
 * Changes one item and enqueues the matching event in one transaction, as the application does:
 * available -> committed; committed -> released, fulfilled or cancelled (the item keeps the order it
 * was released from, as the warehouse's state does); fulfilled or cancelled -> committed to a new
 * order. The row is locked first (the application decides from its state).
 */
export async function changeItem(db: Kysely<StockDb>, id: string, random: () => number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('stock_items')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const order = `order-${id}-${String(Math.floor(random() * 1e9))}`;
    let event: EventInput;
    if (row.status === 'committed' && row.order_id !== null) {
      const pick = random();
      const status = pick < 0.4 ? 'available' : pick < 0.7 ? 'fulfilled' : 'cancelled';
      await trx.updateTable('stock_items').set({ status }).where('id', '=', id).execute();
      const data = { item_id: id, order_id: row.order_id };
      event =
        status === 'available'
          ? { type: 'rims.item.released.v1', subject: id, data: { ...data, reason: 'test' } }
          : status === 'fulfilled'
            ? { type: 'rims.item.fulfilled.v1', subject: id, data }
            : { type: 'rims.item.cancelled.v1', subject: id, data: { ...data, reason: 'test' } };
    } else {
      const quantity = 1 + Math.floor(random() * 9);
      const location = `store-${String(Math.floor(random() * 20))}`;
      await trx
        .updateTable('stock_items')
        .set({ status: 'committed', order_id: order, quantity, location_id: location })
        .where('id', '=', id)
        .execute();
      event = {
        type: 'rims.item.committed.v1',
        subject: id,
        data: { item_id: id, order_id: order, sku: row.sku, quantity, location_id: location },
      };
    }
    await appOutbox.enqueue(trx, event);
  });
}

/** Writers changing random items of `ids` back to back until stopped; `stop` returns the changes made. */
export function startLiveWriters(
  db: Kysely<StockDb>,
  ids: readonly string[],
  options: { writers: number; seed: number },
): { stop(): Promise<number>; changes(): number } {
  let running = true;
  let changes = 0;
  const loops = Array.from({ length: options.writers }, async (_, writer) => {
    const random = seededRandom(options.seed + writer);
    while (running) {
      const id = ids[Math.floor(random() * ids.length)] ?? '';
      await changeItem(db, id, random);
      changes++;
    }
  });
  return {
    changes: () => changes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return changes;
    },
  };
}

/** Every item's state in the application. */
export async function appState(db: Kysely<StockDb>): Promise<Map<string, ItemState>> {
  const rows = await db.selectFrom('stock_items').selectAll().orderBy('id').execute();
  return new Map(
    rows.map((row) => [
      row.id,
      {
        status: row.status,
        order_id: row.order_id,
        sku: row.sku,
        quantity: row.quantity,
        location_id: row.location_id,
      },
    ]),
  );
}

/**
 * The state the outbox implies for each item: its events folded in sequence order, as the merger
 * does. A snapshot is the whole state; other events change what they carry, as the application does.
 */
export async function impliedState(db: Kysely<StockDb>): Promise<Map<string, ItemState>> {
  const { rows } = await sql<{ subject: string; type: string; data: Record<string, unknown> }>`
    SELECT subject, type, data FROM rims_outbox.events
    WHERE subject LIKE 'item-%' ORDER BY subject, sequence`.execute(db);
  const states = new Map<string, ItemState>();
  for (const { subject, type, data } of rows) {
    const before = states.get(subject) ?? {
      status: 'unknown',
      order_id: null,
      sku: null,
      quantity: null,
      location_id: null,
    };
    const text = (field: string) => (typeof data[field] === 'string' ? data[field] : null);
    switch (type) {
      case 'rims.item.snapshot.v1':
        states.set(subject, {
          status: text('status') ?? 'invalid',
          order_id: text('order_id'),
          sku: text('sku'),
          quantity: typeof data.quantity === 'number' ? data.quantity : null,
          location_id: text('location_id'),
        });
        break;
      case 'rims.item.committed.v1':
        states.set(subject, {
          status: 'committed',
          order_id: text('order_id'),
          sku: text('sku'),
          quantity: typeof data.quantity === 'number' ? data.quantity : null,
          location_id: text('location_id'),
        });
        break;
      case 'rims.item.released.v1':
        states.set(subject, { ...before, status: 'available', order_id: text('order_id') });
        break;
      case 'rims.item.fulfilled.v1':
        states.set(subject, { ...before, status: 'fulfilled' });
        break;
      case 'rims.item.cancelled.v1':
        states.set(subject, { ...before, status: 'cancelled' });
        break;
      default:
        throw new Error(`unexpected event type ${type}`);
    }
  }
  return states;
}

/** The items whose application state differs from the outbox's (first `limit`). */
export async function differences(db: Kysely<StockDb>, limit = 10) {
  const [app, implied] = await Promise.all([appState(db), impliedState(db)]);
  const found: { item: string; app: ItemState | undefined; outbox: ItemState | undefined }[] = [];
  for (const item of new Set([...app.keys(), ...implied.keys()])) {
    const a = app.get(item);
    const o = implied.get(item);
    if (JSON.stringify(a) !== JSON.stringify(o)) found.push({ item, app: a, outbox: o });
    if (found.length >= limit) break;
  }
  return { items: app.size, found };
}

/** Subjects whose sequences are not exactly 1..n. */
export async function sequenceGaps(db: Kysely<StockDb>): Promise<string[]> {
  const { rows } = await sql<{ subject: string }>`
    SELECT subject FROM rims_outbox.events GROUP BY subject
    HAVING min(sequence) <> 1 OR max(sequence) <> count(*) OR count(DISTINCT sequence) <> count(*)`.execute(
    db,
  );
  return rows.map((row) => row.subject);
}

/** Counts of snapshot events: in all, and per item at most. */
export async function snapshotCounts(db: Kysely<StockDb>): Promise<{ total: number; items: number }> {
  const { rows } = await sql<{ total: string; items: string }>`
    SELECT count(*) AS total, count(DISTINCT subject) AS items FROM rims_outbox.events
    WHERE type = 'rims.item.snapshot.v1'`.execute(db);
  return { total: Number(rows[0]?.total), items: Number(rows[0]?.items) };
}

/** Runs `rims-outbox` in this process with `DATABASE_URL` set, collecting its output. */
export async function outboxCli(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, env, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    onStopSignal: () => undefined,
  });
  return { code, stdout, stderr };
}
