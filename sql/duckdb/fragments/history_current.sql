-- What history holds of the items a run touches (see the BigQuery file). Parameters:
-- $min_time, $max_time, $run_id, $history_from, $holder.
SELECT *
FROM {{core}}.item_commitment_history
WHERE valid_from >= $history_from
  AND item_id IN (SELECT subject FROM ({{fragment:touched_events}}))
