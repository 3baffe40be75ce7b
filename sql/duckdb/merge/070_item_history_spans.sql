-- Core -> history spans: per item the run touches, the earliest event time it has seen (the lower
-- bound 071 reads). The items and times are those of the Core events this run takes (see the
-- BigQuery file). Parameters: $min_time, $max_time, $run_id, $holder.
MERGE INTO {{core}}.item_history_spans AS t
USING (
  SELECT subject AS item_id, min(time) AS first_valid_from
  FROM ({{fragment:touched_events}})
  GROUP BY subject
) AS s
ON t.item_id = s.item_id
WHEN MATCHED AND s.first_valid_from < t.first_valid_from THEN
  UPDATE SET first_valid_from = s.first_valid_from
WHEN NOT MATCHED THEN
  INSERT (item_id, first_valid_from) VALUES (s.item_id, s.first_valid_from);
