-- What `rims-relay --once` still waits for: the events pending up to the position it started at,
-- per lease partition, with the partition's lease holder. No row: the backlog is drained (each
-- event published or parked dead, by this run or by another replica).
--
-- $1 bigint highest position of the run
SELECT p.lease_partition,
       p.pending::text AS pending,
       l.owner,
       to_char(l.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at
FROM (
  -- The partition stored at enqueue; computed for events enqueued before migration 0006.
  SELECT coalesce(e.lease_partition, {{schema}}.subject_partition(e.subject)) AS lease_partition,
         count(*) AS pending
  FROM {{schema}}.events e
  WHERE e.published_at IS NULL
    AND e.dead_at IS NULL
    AND e.position <= $1::bigint
  GROUP BY 1
) p
LEFT JOIN {{schema}}.relay_leases l ON l.lease_partition = p.lease_partition
ORDER BY p.lease_partition;
