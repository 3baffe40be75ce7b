-- Drift the runs found (merge/075) for the snapshots of the audited span: a sample of at most
-- @limit rows, oldest snapshot first, each carrying the total. Read from @core_from (the earliest
-- event time of the raw rows the audit looks at), on the snapshot's event time, the partition
-- column: a snapshot whose drift a late event n - 1 revealed is later than that event, so in range.
-- Parameters: @core_from, @limit.
SELECT
  item_id,
  sequence,
  event_id,
  snapshot_time,
  snapshot_status,
  snapshot_order_id,
  snapshot_sku,
  snapshot_quantity,
  snapshot_location_id,
  derived_event_id,
  derived_status,
  derived_order_id,
  derived_sku,
  derived_quantity,
  derived_location_id,
  detected_at,
  run_id,
  COUNT(*) OVER () AS total
FROM `rims_core`.item_state_discrepancies
WHERE snapshot_time >= @core_from
ORDER BY snapshot_time, item_id, sequence
LIMIT @limit;
