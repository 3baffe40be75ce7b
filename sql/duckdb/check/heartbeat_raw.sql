-- The newest valid heartbeat published in Raw after $after (Core's newest heartbeat, or the horizon):
-- it says the merger (not the relay or Pub/Sub) is behind. An invalid one never reaches Core, so
-- it says nothing of the merger. Parameters: $after.
SELECT MAX(publish_time) AS newest_publish_time
FROM {{raw}}.item_events
WHERE publish_time > $after AND type = 'rims.pipeline.heartbeat.v1'
  AND {{core}}.item_event_reject_reason(
    specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
  ) IS NULL;
