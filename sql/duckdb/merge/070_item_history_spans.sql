-- Raw -> history spans: per item the run touches, the earliest event time it has seen (the lower
-- bound 071 reads). The items are those the State MERGE takes: valid events of the window inside
-- the bounds 010_window.sql fixed.
-- Parameters: $window_from, $window_to, $min_time, $max_time, $holder.
MERGE INTO {{core}}.item_history_spans AS t
USING (
  SELECT subject AS item_id, min({{core}}.item_event_time(time)) AS first_valid_from
  FROM {{raw}}.item_events
  WHERE publish_time >= $window_from AND publish_time < $window_to
    AND {{core}}.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    AND {{core}}.item_event_time(time) BETWEEN $min_time AND $max_time
    AND EXISTS (
      SELECT 1 FROM {{core}}.merge_lease
      WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
    )
  GROUP BY subject
) AS s
ON t.item_id = s.item_id
WHEN MATCHED AND s.first_valid_from < t.first_valid_from THEN
  UPDATE SET first_valid_from = s.first_valid_from
WHEN NOT MATCHED THEN
  INSERT (item_id, first_valid_from) VALUES (s.item_id, s.first_valid_from);
