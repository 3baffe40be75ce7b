-- History as a full rebuild from Core gives it: one row per (item, sequence) of every valid event
-- (on two events claiming one sequence, the higher id), valid_to the time of version + 1 (NULL
-- while current or while version + 1 is missing), is_current on the highest version. Inlined by
-- history/rebuilt.sql (the check a maintained history must pass) and by
-- history/rebuild_020_history_insert.sql (`rims-merger rebuild-history`), which must agree.
-- Reads all of Core by design.
WITH versions AS (
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
  QUALIFY ROW_NUMBER() OVER (PARTITION BY subject, sequence ORDER BY id DESC) = 1
)
{{fragment:history_rows}}
