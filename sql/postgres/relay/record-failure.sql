-- Records a failed publish of one event. A permanent failure (the message can never be accepted)
-- counts as an attempt and parks the event as dead once it has failed max-attempts times. A systemic
-- failure (Pub/Sub unreachable, throttling) is the service's, not the event's: it records the error
-- but spends none of the event's attempts, so an outage cannot bring a later rejection closer to
-- parking.
--
-- $1 bigint  position
-- $2 text    error (kept to 2,000 characters)
-- $3 boolean permanent
-- $4 integer max attempts
UPDATE {{schema}}.events
SET attempts = attempts + CASE WHEN $3::boolean THEN 1 ELSE 0 END,
    last_error = left($2::text, 2000),
    dead_at = CASE WHEN $3::boolean AND attempts + 1 >= $4::integer THEN now() END
WHERE position = $1::bigint
  AND published_at IS NULL
  AND dead_at IS NULL
RETURNING attempts, dead_at IS NOT NULL AS dead;
