-- Rejected ratio: rows published in [@since, @until) that the merge rejected, over the raw rows
-- (Pub/Sub messages) published then. Heartbeats are left out of both, so a quiet hour of heartbeats
-- does not dilute a burst of invalid events.
SELECT
  (
    SELECT COUNT(*)
    FROM {{core}}.item_events_rejected
    WHERE publish_time >= @since AND publish_time < @until
      AND COALESCE(type, '') <> 'rims.pipeline.heartbeat.v1'
  ) AS rejected,
  (
    SELECT COUNT(DISTINCT message_id)
    FROM {{raw}}.item_events
    WHERE publish_time >= @since AND publish_time < @until
      AND COALESCE(type, '') <> 'rims.pipeline.heartbeat.v1'
  ) AS raw_rows;
