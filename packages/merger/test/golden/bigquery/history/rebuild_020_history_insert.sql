-- `rims-merger rebuild-history`: history rebuilt from all of Core, the rows history/rebuilt.sql
-- gives (one fragment, so the two cannot differ). Applies nothing without the merge lease.
-- Parameters: @holder.
INSERT INTO `rims_core`.item_commitment_history (
  item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
  valid_from, valid_to, is_current
)
SELECT
  item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
  valid_from, valid_to, is_current
FROM (
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
WINDOW w AS (PARTITION BY item_id ORDER BY version)
)
WHERE EXISTS (
  SELECT 1 FROM `rims_core`.merge_lease
  WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
);
