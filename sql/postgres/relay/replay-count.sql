-- What a replay of the events published in [$1, $2) would put back in the queue, per event type
-- (`rims-relay replay --dry-run`).
--
-- $1 timestamptz since (inclusive)
-- $2 timestamptz until (exclusive)
SELECT type, count(*)::integer AS events
FROM {{schema}}.events
WHERE published_at >= $1::timestamptz
  AND published_at < $2::timestamptz
GROUP BY type
ORDER BY type;
