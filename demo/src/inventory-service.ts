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
