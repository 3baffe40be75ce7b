-- What the window holds: raw rows, valid ones, and the event-time bounds of the valid ones (passed
-- as constants to the next statement so zone maps prune rims_core.item_events).
-- Parameters: $window_from, $window_to (raw publish_time, constant bounds: zone-map pruning).
SELECT
  COUNT(*) AS raw_rows,
  count(*) FILTER (WHERE reason IS NULL) AS valid_rows,
  min(event_time) FILTER (WHERE reason IS NULL) AS min_time,
  max(event_time) FILTER (WHERE reason IS NULL) AS max_time
FROM (
  SELECT
    {{core}}.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) AS reason,
    {{core}}.item_event_time(time) AS event_time
  FROM {{raw}}.item_events
  WHERE publish_time >= $window_from AND publish_time < $window_to
);
