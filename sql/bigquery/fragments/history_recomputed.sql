-- The history rows of the items a run touches, recomputed: each row's valid_to and is_current
-- come from its neighbours, so a new or late event also closes (or splits) the intervals around
-- it. The versions are those history holds (`current_rows`, a CTE the including statement defines
-- as fragments/history_current.sql) and those of the Core events this run takes; per version the
-- event with the higher id, as history/rebuilt.sql keeps it. History holds every other Core event
-- of these items already (see fragments/touched_events.sql), so this equals the rebuild from Core
-- restricted to them, without reading Core beyond this run's events. Inlined by merge/072 and
-- merge/073, which must see the same rows.
-- Parameters: @min_time, @max_time, @run_id, @holder.
WITH versions AS (
  SELECT *
  FROM (
    SELECT item_id, version, status, order_id, sku, quantity, location_id, event_id, valid_from
    FROM current_rows
    UNION ALL
    SELECT
      subject,
      sequence,
      {{core}}.item_status_of(type, JSON_VALUE(data, '$.status')),
      JSON_VALUE(data, '$.order_id'),
      JSON_VALUE(data, '$.sku'),
      CAST(JSON_VALUE(data, '$.quantity') AS INT64),
      JSON_VALUE(data, '$.location_id'),
      id,
      time
    FROM ({{fragment:touched_events}})
  )
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id, version ORDER BY event_id DESC) = 1
)
{{fragment:history_rows}}
