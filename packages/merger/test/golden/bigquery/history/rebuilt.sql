-- The history a full rebuild from Core gives: one row per (item, sequence) of every valid event
-- (on two events claiming one sequence, the higher id), valid_to the time of version + 1 (NULL
-- while current or while version + 1 is missing), is_current on the highest version. What
-- rims_core.item_commitment_history must equal after any sequence of runs; the merge's
-- fragments/history_recomputed.sql is this query restricted to the items a run touches.
-- Reads all of Core by design (a check or a rebuild, never part of a run).
WITH versions AS (
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
  QUALIFY ROW_NUMBER() OVER (PARTITION BY subject, sequence ORDER BY id DESC) = 1
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
WINDOW w AS (PARTITION BY item_id ORDER BY version);
