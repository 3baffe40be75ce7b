-- What is left to publish, and what the table carries, for the metrics: how many events are
-- pending, how long the oldest has waited, how many are dead; the table's live and dead row
-- versions (PostgreSQL's cumulative statistics: pg_stat_user_tables has one row for every table,
-- readable by any role, so this returns one row) and its size with indexes and TOAST, so that an operator sees vacuum
-- falling behind (runbook: Table size and vacuum). The counts stop at $1 so a huge backlog stays
-- cheap to measure.
--
-- $1 integer count cap
SELECT
  (SELECT count(*) FROM (
     SELECT 1 FROM {{schema}}.events
     WHERE published_at IS NULL AND dead_at IS NULL
     LIMIT $1::integer) p) AS pending,
  (SELECT extract(epoch FROM now() - e.time)
     FROM {{schema}}.events e
     WHERE e.published_at IS NULL AND e.dead_at IS NULL
     ORDER BY e.position
     LIMIT 1) AS oldest_pending_seconds,
  (SELECT count(*) FROM (
     SELECT 1 FROM {{schema}}.events
     WHERE dead_at IS NOT NULL
     LIMIT $1::integer) d) AS dead,
  s.n_live_tup AS live_rows,
  s.n_dead_tup AS dead_rows,
  pg_total_relation_size('{{schema}}.events'::regclass) AS table_bytes
FROM pg_stat_user_tables s
WHERE s.relid = '{{schema}}.events'::regclass;
