-- Raw -> Heartbeats: every valid pipeline heartbeat of the window, once per event id, with its
-- enqueue (sent_at), publish and merge times. Heartbeats never enter item tables (020, 040 skip them).
-- Parameters: @window_from, @window_to, @min_time, @max_time, @merged_at, @run_id, @holder.
MERGE `rims_core`.pipeline_heartbeats AS t
USING (
  SELECT
    id,
    data.replica AS replica,
    `rims_core`.item_event_time(time) AS time,
    `rims_core`.item_event_time(data.sent_at) AS sent_at,
    publish_time,
    message_id
  FROM `rims_raw`.item_events
  WHERE publish_time >= @window_from AND publish_time < @window_to
    AND type = 'rims.pipeline.heartbeat.v1'
    AND `rims_core`.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    -- The bounds the ON clause searches, from 010_window.sql, as in 020.
    AND `rims_core`.item_event_time(time) BETWEEN @min_time AND @max_time
    -- Fencing: a run that lost its lease applies nothing.
    AND EXISTS (
      SELECT 1 FROM `rims_core`.merge_lease
      WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
    )
  QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY publish_time, message_id) = 1
) AS s
ON t.id = s.id AND t.time BETWEEN @min_time AND @max_time
WHEN NOT MATCHED THEN
  INSERT (id, replica, time, sent_at, publish_time, message_id, merged_at, run_id)
  VALUES (s.id, s.replica, s.time, s.sent_at, s.publish_time, s.message_id, @merged_at, @run_id);
