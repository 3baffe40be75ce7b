-- Records that Pub/Sub accepted these events, in one statement for a whole set of publishes.
--
-- $1 bigint[] positions
UPDATE {{schema}}.events
SET published_at = now()
WHERE position = ANY($1::bigint[])
  AND published_at IS NULL;
