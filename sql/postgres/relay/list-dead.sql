-- Dead (parked) events, oldest first.
--
-- $1 integer how many
SELECT position::text AS position,
       id::text AS id,
       subject,
       sequence::text AS sequence,
       type,
       attempts,
       last_error,
       dead_at
FROM {{schema}}.events
WHERE dead_at IS NOT NULL
ORDER BY dead_at, position
LIMIT $1::integer;
