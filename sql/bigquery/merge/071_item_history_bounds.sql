-- The earliest event time of the items this run touches: the constant lower bound on valid_from
-- (history) and time (Core) that 072 and 073 rewrite their history within. Read from the spans of
-- the touched buckets only.
-- Parameters: @min_time, @max_time, @run_id, @buckets, @holder.
SELECT MIN(first_valid_from) AS history_from
FROM {{core}}.item_history_spans
WHERE item_bucket IN UNNEST(@buckets)
  AND item_id IN (SELECT subject FROM ({{fragment:touched_events}}));
