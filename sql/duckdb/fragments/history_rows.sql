-- History rows from `versions`, a CTE the including statement defines: one row per (item_id,
-- version) with the event's state and time. Each row's valid_to and is_current come from its
-- neighbours. The one definition both the rebuild (fragments/history_rebuilt.sql) and a run
-- (fragments/history_recomputed.sql) use, so the two cannot disagree.
SELECT
  item_id,
  version,
  status,
  order_id,
  CASE WHEN status = 'committed' THEN sku END AS sku,
  CASE WHEN status = 'committed' THEN quantity END AS quantity,
  CASE WHEN status = 'committed' THEN location_id END AS location_id,
  status = 'committed' AS is_potentially_committed,
  event_id,
  valid_from,
  -- A missing version + 1 (a gap) leaves the interval open until that event lands.
  CASE WHEN lead(version) OVER w = version + 1 THEN lead(valid_from) OVER w END AS valid_to,
  lead(version) OVER w IS NULL AS is_current
FROM versions
WINDOW w AS (PARTITION BY item_id ORDER BY version)
