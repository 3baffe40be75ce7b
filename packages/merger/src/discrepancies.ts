/**
 * Drift detection: after history, a run compares each snapshot of the items it touched with the
 * item's derived state just before it (merge/075) and records the differences in
 * rims_core.item_state_discrepancies, which `rims-merger audit` reports. Kept apart from merge.ts,
 * which calls it under the lease.
 */
import type { RunStep } from './history.js';
import { timestampParam } from './params.js';
import type { QueryParam } from './warehouse/warehouse.js';

type QueryRow = Readonly<Record<string, unknown>>;

/** The statement of the drift step of a run. */
export const DISCREPANCY_STATEMENT = 'merge/075_item_state_discrepancies.sql';
/** The audit's read of the discrepancies: a sample with the total count. */
export const DISCREPANCY_AUDIT_STATEMENT = 'audit/discrepancies.sql';

/**
 * Writes a discrepancy for each snapshot of the touched items that differs from the history row
 * just before it, once per snapshot event. `historyFrom` is the lower bound history was rewritten
 * from ({@link maintainHistory}). Returns the rows written.
 *
 * @example
 * const statements = statementRunner(warehouse, DEFAULT_DATASETS);
 * const at = { type: 'TIMESTAMP', value: new Date() } as const;
 * const found = await detectDiscrepancies((path, values) => statements.run(path, values), {
 *   ...{ window_from: at, window_to: at, min_time: at, max_time: at, merged_at: at },
 *   ...{ run_id: { type: 'STRING', value: 'run-1' }, holder: { type: 'STRING', value: 'my-run' } },
 * }, new Date(0));
 */
export async function detectDiscrepancies(
  step: RunStep,
  bounded: Record<string, QueryParam>,
  historyFrom: Date,
): Promise<number> {
  const result = await step(DISCREPANCY_STATEMENT, { ...bounded, history_from: timestampParam(historyFrom) });
  return result.affectedRows;
}

/** One item state, as a snapshot states it or as the warehouse derived it. */
export interface ItemStateColumns {
  readonly status: string;
  readonly orderId: string | null;
  /** Held only while committed (as in State). */
  readonly sku: string | null;
  readonly quantity: number | null;
  readonly locationId: string | null;
}

/** A snapshot that differs from the state the warehouse derived before it. */
export interface StateDiscrepancy {
  readonly itemId: string;
  /** Sequence n of the snapshot; `derived` is the state at n - 1. */
  readonly sequence: number;
  readonly eventId: string;
  readonly snapshotTime: Date;
  readonly snapshot: ItemStateColumns;
  /** The state after event n - 1 (`derivedEventId`). */
  readonly derived: ItemStateColumns;
  readonly derivedEventId: string;
  readonly detectedAt: Date;
  readonly runId: string;
}

// Warehouse strings arrive as strings and integers as number or bigint, NULL as null.
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const count = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

function stateOf(row: QueryRow, side: 'snapshot' | 'derived'): ItemStateColumns {
  return {
    status: String(row[`${side}_status`]),
    orderId: text(row[`${side}_order_id`]),
    sku: text(row[`${side}_sku`]),
    quantity: count(row[`${side}_quantity`]),
    locationId: text(row[`${side}_location_id`]),
  };
}

/** The discrepancy rows of audit/discrepancies.sql, and their total (a column of every row). */
export function discrepanciesFromRows(rows: readonly QueryRow[]): {
  discrepancies: StateDiscrepancy[];
  count: number;
} {
  return {
    count: Number(rows[0]?.total ?? 0),
    discrepancies: rows.map((row) => ({
      itemId: String(row.item_id),
      sequence: Number(row.sequence),
      eventId: String(row.event_id),
      snapshotTime: row.snapshot_time as Date,
      snapshot: stateOf(row, 'snapshot'),
      derived: stateOf(row, 'derived'),
      derivedEventId: String(row.derived_event_id),
      detectedAt: row.detected_at as Date,
      runId: String(row.run_id),
    })),
  };
}
