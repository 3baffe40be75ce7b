-- The Core events a run's history steps take: those Core took in this run (020), or in a run that
-- did not succeed (it may have stopped before its history transaction). Every other Core event is
-- in history already: the run that took it applied its history, and daily_committed's change, in
-- one transaction before recording success. Not the window's raw rows: an incremental window
-- re-reads its lookback, whose items are up to date. Core is read within the window's event times
-- (its partitions). A run that lost its lease takes none.
-- Parameters: @min_time, @max_time, @run_id, @holder.
SELECT subject, sequence, type, data, id, time
FROM {{core}}.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM {{core}}.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )
