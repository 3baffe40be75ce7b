-- Raw -> history spans: per item the run touches, the earliest event time it has seen (the lower
-- bound 071 reads). The items are those the State MERGE takes: valid events of the window inside
-- the bounds and buckets 010_window.sql fixed.
-- Parameters: @window_from, @window_to, @min_time, @max_time, @buckets, @holder.
MERGE {{core}}.item_history_spans AS t
USING (
  SELECT
    subject AS item_id,
    MIN({{core}}.item_event_time(time)) AS first_valid_from,
    ANY_VALUE({{core}}.item_bucket(subject)) AS item_bucket
  FROM {{raw}}.item_events
  WHERE publish_time >= @window_from AND publish_time < @window_to
    AND {{core}}.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    AND {{core}}.item_event_time(time) BETWEEN @min_time AND @max_time
    AND {{core}}.item_bucket(subject) IN UNNEST(@buckets)
    AND EXISTS (
      SELECT 1 FROM {{core}}.merge_lease
      WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
    )
  GROUP BY subject
) AS s
ON t.item_bucket IN UNNEST(@buckets) AND t.item_id = s.item_id
WHEN MATCHED AND s.first_valid_from < t.first_valid_from THEN
  UPDATE SET first_valid_from = s.first_valid_from
WHEN NOT MATCHED THEN
  INSERT (item_id, first_valid_from, item_bucket) VALUES (s.item_id, s.first_valid_from, s.item_bucket);
