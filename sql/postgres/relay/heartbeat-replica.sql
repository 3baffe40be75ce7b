-- Registers this replica, or renews its registration, for the lease TTL. Returns no row when another
-- live process registered the same replica id: the caller must not take or renew leases then.
--
-- $1 text    replica id
-- $2 integer TTL in milliseconds
-- $3 uuid    this process's instance id
INSERT INTO {{schema}}.relay_replicas AS r (replica_id, instance, heartbeat_at, expires_at)
VALUES ($1::text, $3::uuid, now(), now() + $2::integer * interval '1 millisecond')
ON CONFLICT (replica_id) DO UPDATE
SET instance = excluded.instance, heartbeat_at = now(), expires_at = excluded.expires_at
WHERE r.instance = excluded.instance
   OR r.expires_at < now()
RETURNING r.replica_id;
