-- Puts the next batch of events published in [$1, $2) back in the queue (published_at = NULL, with
-- a fresh attempt budget), in position order: batches walk the positions upwards, so each subject's
-- events become pending again in their original order. Run it with wake-relays.sql in one
-- transaction so relays wake at commit. The UPDATE re-checks the window, so a row deleted or
-- changed meanwhile (retention) is left alone.
--
-- $1 timestamptz since (inclusive)
-- $2 timestamptz until (exclusive)
-- $3 bigint      resume after this position
-- $4 bigint      last position of the window (from replay-plan.sql)
-- $5 integer     batch size
WITH batch AS (
  SELECT e.position
  FROM {{schema}}.events e
  WHERE e.position > $3::bigint
    AND e.position <= $4::bigint
    AND e.published_at >= $1::timestamptz
    AND e.published_at < $2::timestamptz
  ORDER BY e.position
  LIMIT $5::integer
),
replayed AS (
  UPDATE {{schema}}.events e
  SET published_at = NULL, attempts = 0, last_error = NULL
  WHERE e.position IN (SELECT b.position FROM batch b)
    AND e.published_at >= $1::timestamptz
    AND e.published_at < $2::timestamptz
  RETURNING e.type
)
SELECT (SELECT max(b.position)::text FROM batch b) AS through_position,
       (SELECT count(*)::integer FROM batch b) AS scanned,
       coalesce(
         (SELECT json_object_agg(t.type, t.n)
            FROM (SELECT r.type, count(*)::integer AS n FROM replayed r GROUP BY r.type) t),
         '{}'::json) AS by_type;
