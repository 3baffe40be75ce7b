-- Raw -> Core: every valid event of the window, once per event id. An event already in Core (an
-- at-least-once duplicate, a rerun, an overlapping window) is left as it is.
-- Parameters: @window_from, @window_to, @min_time, @max_time, @merged_at, @run_id, @holder.
MERGE `rims_core`.item_events AS t
USING (
  SELECT
    id,
    type,
    source,
    subject,
    `rims_core`.item_event_time(time) AS time,
    CAST(sequence AS INT64) AS sequence,
    TO_JSON(data) AS data,
    traceparent,
    message_id,
    publish_time
  FROM `rims_raw`.item_events
  WHERE publish_time >= @window_from AND publish_time < @window_to
    AND `rims_core`.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    -- A pipeline event (the heartbeat) has no item status: never an item, never in item state.
    AND `rims_core`.item_status_of(type, data.status) IS NOT NULL
    -- Only events inside the bounds the ON clause searches. The bounds come from 010_window.sql, run
    -- earlier: a copy landing in between with a time outside them would find no Core row and be
    -- inserted twice. Left out here, it is merged by the next run, whose lookback covers it.
    AND `rims_core`.item_event_time(time) BETWEEN @min_time AND @max_time
    -- Fencing: a run that lost its lease applies nothing.
    AND EXISTS (
      SELECT 1 FROM `rims_core`.merge_lease
      WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
    )
  -- At least once: the same event can land more than once; keep the first landed copy.
  QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY publish_time, message_id) = 1
) AS s
-- Copies of an event share its time: constant bounds prune Core to the partitions they can be in.
ON t.id = s.id AND t.time BETWEEN @min_time AND @max_time
WHEN NOT MATCHED THEN
  INSERT (id, type, source, subject, time, sequence, data, traceparent, message_id, publish_time, merged_at, run_id)
  VALUES (
    s.id, s.type, s.source, s.subject, s.time, s.sequence, s.data, s.traceparent, s.message_id,
    s.publish_time, @merged_at, @run_id
  );
