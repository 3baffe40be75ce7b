/**
 * A small stand-in for the RIMS application: items that are committed to orders, released,
 * fulfilled or cancelled. Every change updates the item row and enqueues its event in one
 * transaction, exactly as real application code uses @rims/outbox.
 */
import { sql, type Kysely } from 'kysely';
import type { Outbox } from '@rims/outbox';
import type { ItemStatus } from '@rims/schemas';

/** The application's own table. `order_id` is the order of the item's latest commitment change. */
export interface ItemsTable {
  id: string;
  sku: string;
  location_id: string;
  status: ItemStatus;
  order_id: string | null;
  quantity: number | null;
  updated_at: Date;
}

/** The sample application's database. */
export interface InventoryDatabase {
  items: ItemsTable;
}

/** Creates the `items` table if it does not exist. */
export async function createInventorySchema(db: Kysely<InventoryDatabase>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS items (
      id          text        PRIMARY KEY,
      sku         text        NOT NULL,
      location_id text        NOT NULL,
      status      text        NOT NULL DEFAULT 'available',
      order_id    text,
      quantity    integer,
      updated_at  timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

/** Inserts `count` available items `<prefix>-00001` ... spread over a few SKUs and locations. */
export async function seedItems(
  db: Kysely<InventoryDatabase>,
  count: number,
  prefix = 'item',
): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);
  for (let start = 0; start < ids.length; start += 1_000) {
    await db
      .insertInto('items')
      .values(
        ids.slice(start, start + 1_000).map((id, i) => ({
          id,
          sku: `SKU-${String((start + i) % 97).padStart(3, '0')}`,
          location_id: `store-${String((start + i) % 7)}`,
          status: 'available' as const,
          order_id: null,
          quantity: null,
          updated_at: new Date(),
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  return ids;
}

/** Items written before the outbox went live, by the status they were left in. */
export interface ExistingItems {
  readonly ids: readonly string[];
  /** The available ones, which live traffic may commit while the backfill runs. */
  readonly available: readonly string[];
}

/**
 * Inserts `count` items `old-00001` ... that predate the outbox: no event was ever written for them,
 * so the warehouse does not know them until a backfill snapshots them. A third are committed to an
 * order, a sixth fulfilled, the rest available.
 */
export async function seedExistingItems(
  db: Kysely<InventoryDatabase>,
  count: number,
): Promise<ExistingItems> {
  const { rows } = await sql<{ id: string; status: ItemStatus }>`
    INSERT INTO items (id, sku, location_id, status, order_id, quantity)
    SELECT 'old-' || lpad(g::text, 5, '0'),
           'SKU-' || lpad((g % 97)::text, 3, '0'),
           'store-' || (g % 7),
           CASE WHEN g % 3 = 0 THEN 'committed' WHEN g % 6 = 1 THEN 'fulfilled' ELSE 'available' END,
           CASE WHEN g % 3 = 0 OR g % 6 = 1 THEN 'order-old-' || g END,
           CASE WHEN g % 3 = 0 OR g % 6 = 1 THEN 1 + g % 3 END
    FROM generate_series(1, ${count}::integer) AS g
    ON CONFLICT (id) DO NOTHING
    RETURNING id, status`.execute(db);
  return {
    ids: rows.map((row) => row.id),
    available: rows.filter((row) => row.status === 'available').map((row) => row.id),
  };
}

/** A change the service refused because the item is not in a state that allows it. */
export type ChangeResult = 'applied' | 'not-allowed' | 'missing';

/**
 * Inventory operations. Each locks the item row, checks the transition, updates the row and
 * enqueues the matching event, all in one transaction.
 *
 * @example
 * const inventory = new InventoryService(db, createOutbox({ source: '//rims/app' }));
 * await inventory.commit('item-00001', 'order-7', 1);
 */
export class InventoryService {
  constructor(
    private readonly db: Kysely<InventoryDatabase>,
    private readonly outbox: Outbox,
  ) {}

  /** available or cancelled -> committed to `orderId`. */
  commit(itemId: string, orderId: string, quantity: number): Promise<ChangeResult> {
    return this.change(itemId, ['available', 'cancelled'], async (trx, item) => {
      await trx
        .updateTable('items')
        .set({ status: 'committed', order_id: orderId, quantity, updated_at: new Date() })
        .where('id', '=', itemId)
        .execute();
      await this.outbox.enqueue(trx, {
        type: 'rims.item.committed.v1',
        subject: itemId,
        data: { item_id: itemId, order_id: orderId, sku: item.sku, quantity, location_id: item.location_id },
      });
    });
  }

  /** committed -> available: the commitment is released. */
  release(itemId: string, reason: string): Promise<ChangeResult> {
    return this.change(itemId, ['committed'], async (trx, item) => {
      await trx
        .updateTable('items')
        .set({ status: 'available', updated_at: new Date() })
        .where('id', '=', itemId)
        .execute();
      await this.outbox.enqueue(trx, {
        type: 'rims.item.released.v1',
        subject: itemId,
        data: { item_id: itemId, order_id: item.order_id ?? '', reason },
      });
    });
  }

  /** committed -> fulfilled (terminal). */
  fulfill(itemId: string, shipmentId?: string): Promise<ChangeResult> {
    return this.change(itemId, ['committed'], async (trx, item) => {
      await trx
        .updateTable('items')
        .set({ status: 'fulfilled', updated_at: new Date() })
        .where('id', '=', itemId)
        .execute();
      await this.outbox.enqueue(trx, {
        type: 'rims.item.fulfilled.v1',
        subject: itemId,
        data: {
          item_id: itemId,
          order_id: item.order_id ?? '',
          ...(shipmentId === undefined ? {} : { shipment_id: shipmentId }),
        },
      });
    });
  }

  /** committed -> cancelled: the order line was cancelled (the item may be committed again). */
  cancel(itemId: string, reason: string): Promise<ChangeResult> {
    return this.change(itemId, ['committed'], async (trx, item) => {
      await trx
        .updateTable('items')
        .set({ status: 'cancelled', updated_at: new Date() })
        .where('id', '=', itemId)
        .execute();
      await this.outbox.enqueue(trx, {
        type: 'rims.item.cancelled.v1',
        subject: itemId,
        data: { item_id: itemId, order_id: item.order_id ?? '', reason },
      });
    });
  }

  private change(
    itemId: string,
    from: readonly ItemStatus[],
    apply: (trx: Kysely<InventoryDatabase>, item: ItemsTable) => Promise<void>,
  ): Promise<ChangeResult> {
    return this.db.transaction().execute(async (trx) => {
      const item = await trx
        .selectFrom('items')
        .selectAll()
        .where('id', '=', itemId)
        .forUpdate()
        .executeTakeFirst();
      if (!item) return 'missing';
      if (!from.includes(item.status)) return 'not-allowed';
      await apply(trx, item);
      return 'applied';
    });
  }
}
