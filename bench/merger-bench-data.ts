/**
 * The data both merger benchmarks start from and add to, generated inside DuckDB with SQL: raw
 * events spread evenly over a stretch of time and over the item space, and the tables past merges
 * leave (raw, Core, State's base and a successful run, one event per item).
 */
import type { Warehouse } from '../packages/merger/dist/index.js';

/** Co-prime with the item counts: a round's delta touches items spread over the whole item space. */
const STRIDE = 7_919;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** "Now" of the first round; history ends ten days before it, beyond any lookback. */
export const T = new Date('2026-06-01T00:00:00.000Z');
export const HISTORY_FROM = new Date(T.getTime() - 40 * DAY);
export const HISTORY_TO = new Date(T.getTime() - 10 * DAY);

/** A TIMESTAMP query parameter. */
export const ts = (date: Date) => ({ type: 'TIMESTAMP' as const, value: date });
const int = (value: number) => ({ type: 'INT64' as const, value });

/** Which raw events {@link generateRaw} writes. */
export interface RawEvents {
  /** Event ids and message ids are this prefix and the event's number. */
  readonly prefix: string;
  /** The first event's number. */
  readonly first: number;
  readonly count: number;
  /** Items of the item space: event i is about item `(i * STRIDE) % items`. */
  readonly items: number;
  /** Published evenly over [from, to). */
  readonly from: Date;
  readonly to: Date;
  /** An item's first event here has sequence `sequenceBase + 1`, its next (past `items` events) + 2. */
  readonly sequenceBase: number;
}

/**
 * Lands raw rows, in publish-time order as landing leaves them; odd sequences are
 * `rims.item.committed.v1`, even ones `rims.item.released.v1`.
 *
 * @example await generateRaw(warehouse, { prefix: 'd1-', first: 0, count: 10, items: 10, from: HISTORY_FROM, to: HISTORY_TO, sequenceBase: 0 });
 */
export async function generateRaw(warehouse: Warehouse, events: RawEvents): Promise<void> {
  await warehouse.query(
    `INSERT INTO rims_raw.item_events
     SELECT
       '1.0', $prefix || i, '//rims/bench', type, subject,
       strftime(pt, '%Y-%m-%dT%H:%M:%S.%fZ'), CAST(seq AS VARCHAR), 'application/json',
       {
         'item_id': subject,
         'order_id': 'order-' || i,
         'sku': CASE WHEN committed THEN 'SKU-' || (i % 997) END,
         'quantity': CASE WHEN committed THEN 1 + i % 3 END,
         'location_id': CASE WHEN committed THEN 'store-' || (i % 50) END,
         'reason': CASE WHEN NOT committed THEN 'timeout' END,
         'shipment_id': CAST(NULL AS VARCHAR)
       },
       CAST(NULL AS VARCHAR), 'projects/bench/subscriptions/rims-item-events-raw', $prefix || i, pt, '{}'::JSON
     FROM (
       SELECT
         i,
         'item-' || ((i * $stride) % $items) AS subject,
         seq,
         seq % 2 = 1 AS committed,
         CASE WHEN seq % 2 = 1 THEN 'rims.item.committed.v1' ELSE 'rims.item.released.v1' END AS type,
         $from + to_microseconds(CAST(CAST(i - $first AS DOUBLE) * $span_us / $count AS BIGINT)) AS pt
       FROM (SELECT i, $sequence_base + (i - $first) // $items + 1 AS seq FROM range($first, $first + $count) t(i))
     )
     ORDER BY pt`,
    {
      params: {
        prefix: { type: 'STRING', value: events.prefix },
        items: int(events.items),
        stride: int(STRIDE),
        first: int(events.first),
        count: int(events.count),
        sequence_base: int(events.sequenceBase),
        from: ts(events.from),
        span_us: int((events.to.getTime() - events.from.getTime()) * 1000),
      },
    },
  );
}

/**
 * What past merges left, one event per item over [HISTORY_FROM, HISTORY_TO): raw, Core, State's
 * base (as a compaction leaves it, see sql/duckdb/ddl/030) and a successful run an hour before `T`.
 *
 * @example await generatePastMerges(warehouse, 50_000);
 */
export async function generatePastMerges(warehouse: Warehouse, items: number): Promise<void> {
  await generateRaw(warehouse, {
    prefix: 'h-',
    first: 0,
    count: items,
    items,
    from: HISTORY_FROM,
    to: HISTORY_TO,
    sequenceBase: 0,
  });
  await warehouse.query(
    `INSERT INTO rims_core.item_events
     SELECT id, type, source, subject, publish_time, CAST(sequence AS BIGINT), to_json(data), traceparent,
            message_id, publish_time, publish_time, 'history'
     FROM rims_raw.item_events ORDER BY publish_time`,
  );
  await warehouse.query(
    `INSERT INTO rims_core.item_commitment_state_base
     SELECT subject, rims_core.item_status_of(type, NULL), data.order_id, data.sku, data.quantity, data.location_id,
            type = 'rims.item.committed.v1', CAST(sequence AS BIGINT), id, publish_time, publish_time
     FROM rims_raw.item_events
     QUALIFY row_number() OVER (PARTITION BY subject ORDER BY CAST(sequence AS BIGINT) DESC) = 1
     -- The same physical order at every size, so each round updates the same layout.
     ORDER BY subject`,
  );
  await warehouse.query(
    `INSERT INTO rims_core.merge_runs (run_id, mode, holder, started_at, finished_at, window_from, window_to, outcome)
     VALUES ('history', 'incremental', 'bench', $at, $at, TIMESTAMPTZ '1970-01-01 00:00:00+00', $at, 'succeeded')`,
    { params: { at: ts(new Date(T.getTime() - HOUR)) } },
  );
}
