-- Retention: deletes up to $2 events published before $1, oldest first (index events_published).
-- Pending and dead events are never deleted here.
--
-- $1 timestamptz cut-off
-- $2 integer     batch size
DELETE FROM {{schema}}.events
WHERE position = ANY (ARRAY(
  SELECT position
  FROM {{schema}}.events
  WHERE published_at IS NOT NULL
    AND published_at < $1::timestamptz
  ORDER BY published_at
  LIMIT $2::integer
));
