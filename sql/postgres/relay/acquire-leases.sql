-- Takes up to $3 free or expired leases. SKIP LOCKED lets replicas acquire at the same time without
-- waiting on each other; FOR UPDATE re-checks each row, so a lease renewed meanwhile is left alone.
--
-- $1 text    replica id
-- $2 integer TTL in milliseconds
-- $3 integer how many
UPDATE {{schema}}.relay_leases AS l
SET owner = $1::text,
    expires_at = now() + $2::integer * interval '1 millisecond',
    acquired_at = now(),
    generation = l.generation + 1
WHERE l.lease_partition IN (
  SELECT f.lease_partition
  FROM {{schema}}.relay_leases f
  WHERE f.owner IS NULL OR f.expires_at < now()
  ORDER BY f.lease_partition
  LIMIT $3::integer
  FOR UPDATE SKIP LOCKED
)
RETURNING l.lease_partition;
