-- What history holds of the items a run touches: their rows from @history_from (071: the earliest
-- event time of those items, so only the partitions they can have rows in are read).
-- Parameters: @min_time, @max_time, @run_id, @history_from, @holder.
SELECT *
FROM {{core}}.item_commitment_history
WHERE valid_from >= @history_from
  AND item_id IN (SELECT subject FROM ({{fragment:touched_events}}))
