-- History as a full rebuild from Core gives it (see the BigQuery file). Inlined by
-- history/rebuilt.sql and history/rebuild_020_history_insert.sql, which must agree.
WITH versions AS (
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
{{fragment:history_rows}}
