-- Core -> history: the history of every item this run touches, recomputed with this run's Core
-- events (fragments/history_recomputed.sql) and merged in (see the BigQuery file). Rows that are
-- already right are left alone, so duplicates and reruns change nothing. Runs in one transaction
-- after 072, which reads the rows this replaces.
-- Parameters: $min_time, $max_time, $run_id, $history_from, $holder.
MERGE INTO {{core}}.item_commitment_history AS t
USING (
  WITH current_rows AS ({{fragment:history_current}})
  SELECT * FROM ({{fragment:history_recomputed}})
) AS s
ON t.valid_from >= $history_from AND t.item_id = s.item_id AND t.version = s.version
WHEN MATCHED AND (
  t.event_id <> s.event_id OR t.valid_to IS DISTINCT FROM s.valid_to OR t.is_current <> s.is_current
) THEN
  UPDATE SET
    status = s.status,
    order_id = s.order_id,
    sku = s.sku,
    quantity = s.quantity,
    location_id = s.location_id,
    is_potentially_committed = s.is_potentially_committed,
    event_id = s.event_id,
    valid_from = s.valid_from,
    valid_to = s.valid_to,
    is_current = s.is_current
WHEN NOT MATCHED THEN
  INSERT (
    item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
    valid_from, valid_to, is_current
  )
  VALUES (
    s.item_id, s.version, s.status, s.order_id, s.sku, s.quantity, s.location_id,
    s.is_potentially_committed, s.event_id, s.valid_from, s.valid_to, s.is_current
  );
