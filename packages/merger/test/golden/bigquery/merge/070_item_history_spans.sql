-- Core -> history spans: per item the run touches, the earliest event time it has seen (the lower
-- bound 071 reads). The items and times are those of the Core events this run takes
-- (fragments/touched_events.sql); their spans are in the State buckets 010_window.sql found, as
-- those events are valid events of the window.
-- Parameters: @min_time, @max_time, @run_id, @buckets, @holder.
MERGE `rims_core`.item_history_spans AS t
USING (
  SELECT
    subject AS item_id,
    MIN(time) AS first_valid_from,
    ANY_VALUE(`rims_core`.item_bucket(subject)) AS item_bucket
  FROM (SELECT subject, sequence, type, data, id, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  ))
  GROUP BY subject
) AS s
ON t.item_bucket IN UNNEST(@buckets) AND t.item_id = s.item_id
WHEN MATCHED AND s.first_valid_from < t.first_valid_from THEN
  UPDATE SET first_valid_from = s.first_valid_from
WHEN NOT MATCHED THEN
  INSERT (item_id, first_valid_from, item_bucket) VALUES (s.item_id, s.first_valid_from, s.item_bucket);
