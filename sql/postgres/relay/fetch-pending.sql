-- The next events to publish, found by state (never by "position > last seen", which would skip
-- an event whose transaction commits after later positions are visible). Within one subject,
-- position order is sequence order and commit order, so this returns each subject's events in order.
--
-- $1 integer[] lease partitions this replica holds and may publish
-- $2 text[]    subjects to leave out: a publish of theirs failed, or they are backing off
-- $3 bigint    highest position to return (--once stops at the backlog it found; else max bigint)
-- $4 integer   how many rows
-- $5 bigint[]  positions in flight (handed to Pub/Sub, not yet recorded): never fetched twice
SELECT e.position::text AS position,
       e.id::text AS id,
       e.subject,
       e.sequence::text AS sequence,
       e.type,
       e.source,
       -- Microsecond precision, as stored (a JavaScript Date would keep milliseconds only).
       to_char(e.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time,
       e.data,
       e.traceparent,
       e.attempts,
       coalesce(e.lease_partition, {{schema}}.subject_partition(e.subject)) AS lease_partition
FROM {{schema}}.events e
WHERE e.published_at IS NULL
  AND e.dead_at IS NULL
  -- The partition stored at enqueue (migration 0006); computed only for events enqueued before.
  -- Written as an OR rather than coalesce(...) = ANY: the planner then estimates the stored
  -- column from its statistics and walks the pending index, where it would sort the backlog.
  AND (e.lease_partition = ANY($1::integer[])
       OR (e.lease_partition IS NULL AND {{schema}}.subject_partition(e.subject) = ANY($1::integer[])))
  AND e.subject <> ALL($2::text[])
  AND e.position <= $3::bigint
  AND e.position <> ALL($5::bigint[])
ORDER BY e.position
LIMIT $4::integer;
