-- Removes this replica from the registry at shutdown, so the others rebalance without waiting for
-- its registration to expire, and its wait mark with it. Only this process's own registration.
--
-- $1 text replica id
-- $2 uuid this process's instance id
WITH deregistered AS (
  DELETE FROM {{schema}}.relay_replicas
  WHERE replica_id = $1::text AND instance = $2::uuid
  RETURNING replica_id
)
DELETE FROM {{schema}}.relay_waiting w
USING deregistered d
WHERE w.replica_id = d.replica_id;
