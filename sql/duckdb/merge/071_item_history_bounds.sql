-- The earliest event time of the items this run touches: the lower bound on valid_from (history)
-- and time (Core) that 072 and 073 rewrite their history within (see the BigQuery file).
-- Parameters: $min_time, $max_time, $run_id, $holder.
SELECT min(first_valid_from) AS history_from
FROM {{core}}.item_history_spans
WHERE item_id IN (SELECT subject FROM ({{fragment:touched_events}}));
