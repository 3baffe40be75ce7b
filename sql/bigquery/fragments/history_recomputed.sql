-- The history rows of the items a run touches, recomputed from their events in Core: each row's
-- valid_to and is_current come from its neighbours, so a new or late event also closes (or splits)
-- the intervals around it. The row of a version is the one history/rebuilt.sql gives: per (item,
-- sequence) the event with the higher id. Core is read from @history_from (071: the earliest event
-- time of the touched items), so only the partitions the touched items can have rows in are read.
-- Inlined by merge/072 and merge/073 ({{fragment:history_recomputed}}), which must see the same rows.
-- Parameters: @min_time, @max_time, @run_id, @history_from, @holder.
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
FROM (
  SELECT
    subject AS item_id,
    sequence AS version,
    {{core}}.item_status_of(type, JSON_VALUE(data, '$.status')) AS status,
    JSON_VALUE(data, '$.order_id') AS order_id,
    JSON_VALUE(data, '$.sku') AS sku,
    CAST(JSON_VALUE(data, '$.quantity') AS INT64) AS quantity,
    JSON_VALUE(data, '$.location_id') AS location_id,
    id AS event_id,
    time AS valid_from
  FROM {{core}}.item_events
  WHERE time >= @history_from
    -- The items of the Core events this run takes.
    AND subject IN (SELECT subject FROM ({{fragment:touched_events}}))
  QUALIFY ROW_NUMBER() OVER (PARTITION BY subject, sequence ORDER BY id DESC) = 1
)
WINDOW w AS (PARTITION BY item_id ORDER BY version)
