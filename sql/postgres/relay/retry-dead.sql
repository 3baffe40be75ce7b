-- Puts dead events back in the queue with a fresh attempt budget: the ids given, or every dead
-- event when $1 is NULL. Run it with wake-relays.sql in one transaction so relays wake at commit.
--
-- $1 uuid[] event ids, or NULL for all
UPDATE {{schema}}.events
SET dead_at = NULL, attempts = 0, last_error = NULL
WHERE dead_at IS NOT NULL
  AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
RETURNING id::text AS id;
