-- Extends every lease this replica owns and returns them. A lease that lapsed but that nobody took
-- over is still this replica's: renewing it is safe, because taking over sets a new owner.
--
-- $1 text    replica id
-- $2 integer TTL in milliseconds
UPDATE {{schema}}.relay_leases
SET expires_at = now() + $2::integer * interval '1 millisecond'
WHERE owner = $1::text
RETURNING lease_partition;
