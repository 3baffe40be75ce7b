-- What is left to publish, for the metrics: how many events are pending, how long the oldest has
-- waited, and how many are dead. The counts stop at $1 so a huge backlog stays cheap to measure.
--
-- $1 integer count cap
SELECT
  (SELECT count(*) FROM (
     SELECT 1 FROM {{schema}}.events
     WHERE published_at IS NULL AND dead_at IS NULL
     LIMIT $1::integer) p) AS pending,
  (SELECT extract(epoch FROM now() - e.time)
     FROM {{schema}}.events e
     WHERE e.published_at IS NULL AND e.dead_at IS NULL
     ORDER BY e.position
     LIMIT 1) AS oldest_pending_seconds,
  (SELECT count(*) FROM (
     SELECT 1 FROM {{schema}}.events
     WHERE dead_at IS NOT NULL
     LIMIT $1::integer) d) AS dead;
