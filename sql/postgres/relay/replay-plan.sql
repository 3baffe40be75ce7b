-- Plans a replay of the events published in [$1, $2): the window as used (the end defaults to the
-- database clock now, fixed for the whole replay, so events re-published meanwhile are not picked up
-- again), the positions it spans, and the oldest publishing time still in the outbox (events
-- published before it were deleted by retention and cannot be replayed).
--
-- $1 timestamptz since (inclusive)
-- $2 timestamptz until (exclusive); NULL: now
WITH win AS (
  SELECT $1::timestamptz AS since, coalesce($2::timestamptz, now()) AS until
)
SELECT to_char(w.since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS since,
       to_char(w.until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS until,
       (SELECT to_char(min(e.published_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
          FROM {{schema}}.events e
          WHERE e.published_at IS NOT NULL) AS oldest_retained,
       (SELECT min(e.position)::text
          FROM {{schema}}.events e
          WHERE e.published_at >= w.since AND e.published_at < w.until) AS first_position,
       (SELECT max(e.position)::text
          FROM {{schema}}.events e
          WHERE e.published_at >= w.since AND e.published_at < w.until) AS last_position
FROM win w;
