-- History as a full rebuild from Core gives it (see the BigQuery file). Inlined by
-- history/rebuilt.sql and history/rebuild_020_history_insert.sql, which must agree.
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
  CASE WHEN lead(version) OVER w = version + 1 THEN lead(valid_from) OVER w END AS valid_to,
  lead(version) OVER w IS NULL AS is_current
FROM (
  SELECT
    subject AS item_id,
    sequence AS version,
    {{core}}.item_status_of(type, data->>'status') AS status,
    data->>'order_id' AS order_id,
    data->>'sku' AS sku,
    CAST(data->>'quantity' AS BIGINT) AS quantity,
    data->>'location_id' AS location_id,
    id AS event_id,
    time AS valid_from
  FROM {{core}}.item_events
  QUALIFY row_number() OVER (PARTITION BY subject, sequence ORDER BY id DESC) = 1
)
WINDOW w AS (PARTITION BY item_id ORDER BY version)
