-- The history rows of the items a run touches, recomputed (see the BigQuery file) from
-- `current_rows`, a CTE the including statement defines as fragments/history_current.sql, and
-- the Core events this run takes. Inlined by merge/072 and merge/073, which must see the same
-- rows. Parameters: $min_time, $max_time, $run_id, $holder.
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
  SELECT *
  FROM (
    SELECT item_id, version, status, order_id, sku, quantity, location_id, event_id, valid_from
    FROM current_rows
    UNION ALL
    SELECT
      subject,
      sequence,
      {{core}}.item_status_of(type, data->>'status'),
      data->>'order_id',
      data->>'sku',
      CAST(data->>'quantity' AS BIGINT),
      data->>'location_id',
      id,
      time
    FROM ({{fragment:touched_events}})
  )
  -- Per version the event with the higher id, as history/rebuilt.sql keeps it.
  QUALIFY row_number() OVER (PARTITION BY item_id, version ORDER BY event_id DESC) = 1
)
WINDOW w AS (PARTITION BY item_id ORDER BY version)
