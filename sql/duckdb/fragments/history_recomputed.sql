-- The history rows of the items a run touches, recomputed from their events in Core (see the
-- BigQuery file). Inlined by merge/072 and merge/073 ({{fragment:history_recomputed}}), which must
-- see the same rows. Parameters: $min_time, $max_time, $run_id, $history_from, $holder.
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
  WHERE time >= $history_from
    -- The items of the Core events this run takes.
    AND subject IN (SELECT subject FROM ({{fragment:touched_events}}))
  QUALIFY row_number() OVER (PARTITION BY subject, sequence ORDER BY id DESC) = 1
)
WINDOW w AS (PARTITION BY item_id ORDER BY version)
