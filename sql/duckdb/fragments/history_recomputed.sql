-- The history rows of the items a run touches, recomputed (see the BigQuery file) from
-- `current_rows`, a CTE the including statement defines as fragments/history_current.sql, and
-- the Core events this run takes. Inlined by merge/072 and merge/073, which must see the same
-- rows. Parameters: $min_time, $max_time, $run_id, $holder.
WITH versions AS (
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
{{fragment:history_rows}}
