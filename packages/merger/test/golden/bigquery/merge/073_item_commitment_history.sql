-- Core -> history: the history of every item this run touches, recomputed with this run's Core
-- events (fragments/history_recomputed.sql) and merged in: a new or late event inserts its row and
-- closes (or splits) the neighbouring intervals. Rows that are already right are left alone, so
-- duplicates and reruns change nothing. Runs in one transaction after 072, which reads the rows
-- this replaces, and before 074.
-- Parameters: @min_time, @max_time, @run_id, @history_from, @holder.
MERGE `rims_core`.item_commitment_history AS t
USING (
  WITH current_rows AS (SELECT *
FROM `rims_core`.item_commitment_history
WHERE valid_from >= @history_from
  AND item_id IN (SELECT subject FROM (SELECT subject, sequence, type, data, id, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  ))))
  SELECT * FROM (WITH versions AS (
  SELECT *
  FROM (
    SELECT item_id, version, status, order_id, sku, quantity, location_id, event_id, valid_from
    FROM current_rows
    UNION ALL
    SELECT
      subject,
      sequence,
      `rims_core`.item_status_of(type, JSON_VALUE(data, '$.status')),
      JSON_VALUE(data, '$.order_id'),
      JSON_VALUE(data, '$.sku'),
      CAST(JSON_VALUE(data, '$.quantity') AS INT64),
      JSON_VALUE(data, '$.location_id'),
      id,
      time
    FROM (SELECT subject, sequence, type, data, id, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  ))
  )
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id, version ORDER BY event_id DESC) = 1
)
SELECT
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
FROM versions
WINDOW w AS (PARTITION BY item_id ORDER BY version))
) AS s
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
