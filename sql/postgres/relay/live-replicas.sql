-- Prunes replicas that stopped renewing and lists the live ones, in a stable order every replica
-- agrees on (each computes its fair share of the partitions from its rank in this list). A wait
-- mark (relay_waiting) of a replica that is not live goes too: it would only make writers NOTIFY.
WITH pruned AS (
  DELETE FROM {{schema}}.relay_replicas WHERE expires_at < now() RETURNING replica_id
),
unmarked AS (
  DELETE FROM {{schema}}.relay_waiting w
  WHERE NOT EXISTS (
    SELECT 1 FROM {{schema}}.relay_replicas r
    WHERE r.replica_id = w.replica_id AND r.expires_at >= now()
  )
)
SELECT replica_id
FROM {{schema}}.relay_replicas
WHERE expires_at >= now()
ORDER BY replica_id;
