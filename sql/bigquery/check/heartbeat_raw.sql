-- The newest heartbeat that landed in Raw: newer than Core's newest, it says the merger (not the relay
-- or Pub/Sub) is behind. Parameters: @since.
SELECT MAX(publish_time) AS newest_publish_time
FROM {{raw}}.item_events
WHERE publish_time >= @since AND type = 'rims.pipeline.heartbeat.v1';
