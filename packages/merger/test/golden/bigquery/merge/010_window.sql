-- What the window holds: raw rows, valid ones, the event-time bounds of the valid ones and the State
-- buckets of their items (passed as constants to the MERGEs so BigQuery prunes the partitions of
-- rims_core.item_events and rims_core.item_commitment_state).
-- Parameters: @window_from, @window_to (raw publish_time, constant bounds: partition pruning).
SELECT
  COUNT(*) AS raw_rows,
  COUNTIF(reason IS NULL) AS valid_rows,
  MIN(IF(reason IS NULL, event_time, NULL)) AS min_time,
  MAX(IF(reason IS NULL, event_time, NULL)) AS max_time,
  ARRAY_AGG(DISTINCT IF(reason IS NULL, bucket, NULL) IGNORE NULLS) AS buckets
FROM (
  SELECT
    `rims_core`.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) AS reason,
    `rims_core`.item_event_time(time) AS event_time,
    `rims_core`.item_bucket(subject) AS bucket
  FROM `rims_raw`.item_events
  WHERE publish_time >= @window_from AND publish_time < @window_to
);
