-- The earliest event time of the items this run touches: the constant lower bound on valid_from
-- (history) and time (Core) that 072 and 073 rewrite their history within. Read from the spans of
-- the touched buckets only.
-- Parameters: @min_time, @max_time, @run_id, @buckets, @holder.
SELECT MIN(first_valid_from) AS history_from
FROM `rims_core`.item_history_spans
WHERE item_bucket IN UNNEST(@buckets)
  AND item_id IN (SELECT subject FROM (SELECT subject, sequence, type, data, id, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )));
