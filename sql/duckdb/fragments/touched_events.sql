-- The Core events a run's history steps take (see the BigQuery file): those Core took in this run
-- or in a run that did not succeed, within the window's event times (zone maps keep the read to
-- the recent row groups). Parameters: $min_time, $max_time, $run_id, $holder.
SELECT subject, sequence, type, data, id, time
FROM {{core}}.item_events
WHERE time BETWEEN $min_time AND $max_time
  AND (
    run_id = $run_id
    OR run_id NOT IN (SELECT run_id FROM {{core}}.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
  )
