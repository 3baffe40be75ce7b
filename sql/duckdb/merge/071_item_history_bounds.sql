-- The earliest event time of the items this run touches: the lower bound on valid_from (history)
-- and time (Core) that 072 rewrites their history within (see the BigQuery file).
-- Parameters: $window_from, $window_to, $min_time, $max_time.
SELECT min(first_valid_from) AS history_from
FROM {{core}}.item_history_spans
WHERE item_id IN (
  SELECT subject
  FROM {{raw}}.item_events
  WHERE publish_time >= $window_from AND publish_time < $window_to
    AND {{core}}.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    AND {{core}}.item_event_time(time) BETWEEN $min_time AND $max_time
);
