-- The earliest event time of the items this run touches: the constant lower bound on valid_from
-- (history) and time (Core) that 072 rewrites their history within. Read from the spans of the
-- touched buckets only.
-- Parameters: @window_from, @window_to, @min_time, @max_time, @buckets.
SELECT MIN(first_valid_from) AS history_from
FROM `rims_core`.item_history_spans
WHERE item_bucket IN UNNEST(@buckets)
  AND item_id IN (
    SELECT subject
    FROM `rims_raw`.item_events
    WHERE publish_time >= @window_from AND publish_time < @window_to
      AND `rims_core`.item_event_reject_reason(
        specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
      ) IS NULL
      AND `rims_core`.item_event_time(time) BETWEEN @min_time AND @max_time
      AND `rims_core`.item_bucket(subject) IN UNNEST(@buckets)
  );
