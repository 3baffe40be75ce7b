-- What the window holds: raw rows, valid ones, and the event-time bounds of the valid ones (passed
-- as constants to the next statement so BigQuery prunes rims_core.item_events partitions).
-- Parameters: @window_from, @window_to (raw publish_time, constant bounds: partition pruning).
SELECT
  COUNT(*) AS raw_rows,
  COUNTIF(reason IS NULL) AS valid_rows,
  MIN(IF(reason IS NULL, event_time, NULL)) AS min_time,
  MAX(IF(reason IS NULL, event_time, NULL)) AS max_time
FROM (
  SELECT
    `rims_core`.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) AS reason,
    `rims_core`.item_event_time(time) AS event_time
  FROM `rims_raw`.item_events
  WHERE publish_time >= @window_from AND publish_time < @window_to
);
