/**
 * Reconciliation: does the warehouse's item-commitment state equal what PostgreSQL knows? The truth
 * is the application's items table (status, last order) and the outbox's per-item sequence counter
 * (the version every applied event brings the state to).
 */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '@rims/merger';
import { quoteIdentifier } from '@rims/sql';

/** One item as both sides should agree on it. */
export interface ItemState {
  readonly item_id: string;
  readonly status: string;
  readonly order_id: string | null;
  readonly version: number;
}

/** Every item that has at least one event, from PostgreSQL. */
export async function postgresTruth<DB>(db: Kysely<DB>, outboxSchema = 'rims_outbox'): Promise<ItemState[]> {
  const counters = sql.raw(`${quoteIdentifier(outboxSchema, 'postgres')}.subject_sequences`);
  const result = await sql<{ item_id: string; status: string; order_id: string | null; version: string }>`
    SELECT i.id AS item_id, i.status, i.order_id, s.last_sequence AS version
    FROM items i
    JOIN ${counters} s ON s.subject = i.id
    ORDER BY i.id`.execute(db);
  return result.rows.map((row) => ({ ...row, version: Number(row.version) }));
}

/** Every item in the warehouse's `rims_core.item_commitment_state`. */
export async function warehouseState(warehouse: Warehouse, core = 'rims_core'): Promise<ItemState[]> {
  const table = `${quoteIdentifier(core, warehouse.dialect)}.item_commitment_state`;
  const { rows } = await warehouse.query(
    `SELECT item_id, status, order_id, version FROM ${table} ORDER BY item_id`,
    { statement: 'demo: read item_commitment_state' },
  );
  return rows.map((row) => ({
    item_id: row.item_id as string,
    status: row.status as string,
    order_id: typeof row.order_id === 'string' ? row.order_id : null,
    version: Number(row.version),
  }));
}

/** The outcome of {@link reconcile}. */
export interface Reconciliation {
  readonly items: number;
  readonly matching: number;
  /** Items whose status, order or version differ (first 20). */
  readonly differing: readonly { truth: ItemState; warehouse: ItemState }[];
  /** Items PostgreSQL has and the warehouse lacks (first 20). */
  readonly missing: readonly string[];
  /** Items the warehouse has and PostgreSQL does not (first 20). */
  readonly unexpected: readonly string[];
  readonly ok: boolean;
}

/** Compares both sides item by item. */
export function reconcile(truth: readonly ItemState[], warehouse: readonly ItemState[]): Reconciliation {
  const stored = new Map(warehouse.map((item) => [item.item_id, item]));
  const differing: { truth: ItemState; warehouse: ItemState }[] = [];
  const missing: string[] = [];
  let matching = 0;
  for (const item of truth) {
    const other = stored.get(item.item_id);
    stored.delete(item.item_id);
    if (!other) missing.push(item.item_id);
    else if (
      other.status !== item.status ||
      other.order_id !== item.order_id ||
      other.version !== item.version
    ) {
      differing.push({ truth: item, warehouse: other });
    } else matching += 1;
  }
  const unexpected = [...stored.keys()];
  return {
    items: truth.length,
    matching,
    differing: differing.slice(0, 20),
    missing: missing.slice(0, 20),
    unexpected: unexpected.slice(0, 20),
    ok: matching === truth.length && unexpected.length === 0,
  };
}

/** One line for humans: `reconciliation: 2,000/2,000 items match PostgreSQL`. */
export function describeReconciliation(result: Reconciliation): string {
  const head = `reconciliation: ${result.matching.toLocaleString('en')}/${result.items.toLocaleString('en')} items match PostgreSQL`;
  if (result.ok) return `${head} (status, order and version)`;
  const parts = [
    result.differing.length > 0
      ? `${String(result.differing.length)}+ differ, e.g. ${JSON.stringify(result.differing[0])}`
      : '',
    result.missing.length > 0
      ? `${String(result.missing.length)}+ missing, e.g. ${result.missing[0] ?? ''}`
      : '',
    result.unexpected.length > 0
      ? `${String(result.unexpected.length)}+ unexpected, e.g. ${result.unexpected[0] ?? ''}`
      : '',
  ].filter((part) => part !== '');
  return `${head}: ${parts.join('; ')}`;
}
