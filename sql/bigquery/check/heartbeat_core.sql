-- Freshness: the newest heartbeat that reached Core, with its enqueue (sent_at), publish and merge
-- times. Parameters: @since (the oldest heartbeat that counts; also prunes partitions).
SELECT replica, sent_at, publish_time, merged_at
FROM {{core}}.pipeline_heartbeats
WHERE time >= @since
ORDER BY sent_at DESC
LIMIT 1;
