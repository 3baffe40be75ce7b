-- Gives leases back (after their publishes are drained and marked), so another replica can take
-- them over at once instead of waiting for them to expire.
--
-- $1 text      replica id
-- $2 integer[] partitions
UPDATE {{schema}}.relay_leases
SET owner = NULL, expires_at = NULL
WHERE owner = $1::text
  AND lease_partition = ANY($2::integer[]);
