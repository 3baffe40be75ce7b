-- Core -> history: the history of every item this run touches, recomputed from its events in Core
-- (fragments/history_recomputed.sql) and merged in: a new or late event inserts its row and closes
-- (or splits) the neighbouring intervals. Rows that are already right are left alone, so
-- duplicates and reruns change nothing. Runs in one transaction after 072, which reads the rows
-- this replaces, and before 074.
-- Parameters: @window_from, @window_to, @min_time, @max_time, @buckets, @history_from, @holder.
MERGE `rims_core`.item_commitment_history AS t
USING (SELECT
  item_id,
  version,
  status,
  order_id,
  IF(status = 'committed', sku, NULL) AS sku,
  IF(status = 'committed', quantity, NULL) AS quantity,
  IF(status = 'committed', location_id, NULL) AS location_id,
  status = 'committed' AS is_potentially_committed,
  event_id,
  valid_from,
  -- A missing version + 1 (a gap) leaves the interval open until that event lands.
  IF(LEAD(version) OVER w = version + 1, LEAD(valid_from) OVER w, NULL) AS valid_to,
  LEAD(version) OVER w IS NULL AS is_current
FROM (
  SELECT
    subject AS item_id,
    sequence AS version,
    `rims_core`.item_status_of(type, JSON_VALUE(data, '$.status')) AS status,
    JSON_VALUE(data, '$.order_id') AS order_id,
    JSON_VALUE(data, '$.sku') AS sku,
    CAST(JSON_VALUE(data, '$.quantity') AS INT64) AS quantity,
    JSON_VALUE(data, '$.location_id') AS location_id,
    id AS event_id,
    time AS valid_from
  FROM `rims_core`.item_events
  WHERE time >= @history_from
    -- The items of the Core events this run takes.
    AND subject IN (SELECT subject FROM (SELECT subject, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )))
  QUALIFY ROW_NUMBER() OVER (PARTITION BY subject, sequence ORDER BY id DESC) = 1
)
WINDOW w AS (PARTITION BY item_id ORDER BY version)) AS s
ON t.valid_from >= @history_from AND t.item_id = s.item_id AND t.version = s.version
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
