-- Relay coordination and housekeeping (@rims/relay).
--
-- Several relay replicas share the work through leases on a fixed set of 64 partitions of the
-- subject space. A subject always falls in the same partition, and a partition has at most one
-- owner at a time, so each subject is published by one replica at a time, in order. Replicas
-- register with a heartbeat, take a fair share of the partitions, renew their leases well inside
-- the TTL, and release them after draining; a lease whose owner stops renewing expires and is
-- taken over by another replica.

-- The partition of a subject: the first 32 bits of its md5, modulo 64. md5 is stable across
-- PostgreSQL versions (hashtext is not guaranteed to be), so partitions survive an upgrade.
-- Changing the number of partitions is a breaking change: every replica must agree on it.
CREATE FUNCTION {{schema}}.subject_partition(p_subject text)
RETURNS integer
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (('x' || substr(md5(p_subject), 1, 8))::bit(32)::bigint % 64)::integer $$;

CREATE TABLE {{schema}}.relay_replicas (
  replica_id   text        PRIMARY KEY,
  -- A random id per process: a second live process configured with the same replica_id is refused
  -- (it would otherwise share, and publish, the first one's partitions).
  instance     uuid        NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  -- A replica that has not renewed by then is gone; its row is pruned and its leases expire.
  expires_at   timestamptz NOT NULL
);

CREATE TABLE {{schema}}.relay_leases (
  lease_partition integer     PRIMARY KEY CHECK (lease_partition >= 0 AND lease_partition < 64),
  owner           text,
  expires_at      timestamptz,
  acquired_at     timestamptz,
  -- Incremented at each acquisition: tells hand-overs apart in logs and audits.
  generation      bigint      NOT NULL DEFAULT 0,
  CHECK ((owner IS NULL) = (expires_at IS NULL))
);

INSERT INTO {{schema}}.relay_leases (lease_partition)
SELECT g FROM generate_series(0, 63) AS g;

-- Retention deletes published events older than a cut-off in bounded batches, oldest first.
CREATE INDEX events_published ON {{schema}}.events (published_at) WHERE published_at IS NOT NULL;

-- Dead (parked) events: listed, counted and retried by id without scanning the table.
CREATE INDEX events_dead ON {{schema}}.events (dead_at) WHERE dead_at IS NOT NULL;

-- Every event is inserted, updated once and deleted: vacuum the table after 2% of it changed
-- rather than the default 20%, so dead tuples are reclaimed long before the table bloats.
ALTER TABLE {{schema}}.events SET (
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_insert_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02
);
