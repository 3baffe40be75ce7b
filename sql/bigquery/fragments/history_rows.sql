-- History rows from `versions`, a CTE the including statement defines: one row per (item_id,
-- version) with the event's state and time. Each row's valid_to and is_current come from its
-- neighbours. The one definition both the rebuild (fragments/history_rebuilt.sql) and a run
-- (fragments/history_recomputed.sql) use, so the two cannot disagree.
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
WINDOW w AS (PARTITION BY item_id ORDER BY version)
