-- Least-privilege grants for the outbox. The roles must exist; grant them to your login roles:
--   CREATE ROLE rims_app LOGIN; GRANT rims_outbox_writer TO rims_app;
--
-- Writer (application code): may only add events, through enqueue_event (one) and enqueue_events
-- (a batch), both SECURITY DEFINER, which also number them. It has no privilege on the tables: it
-- cannot read, change or delete events, or insert one with a sequence of its choosing.
GRANT USAGE ON SCHEMA {{schema}} TO {{writer_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.enqueue_event(uuid, text, text, jsonb, timestamptz, text, text, text)
  TO {{writer_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.enqueue_events(uuid[], text[], text[], jsonb[], timestamptz[], text[], text, text)
  TO {{writer_role}};

-- Relay: reads pending events, records publishing state, deletes events past retention, and reads
-- the migration ledger to check the schema version at start-up. It cannot insert events.
GRANT USAGE ON SCHEMA {{schema}} TO {{relay_role}};
GRANT SELECT, DELETE ON {{schema}}.events TO {{relay_role}};
GRANT UPDATE (published_at, attempts, last_error, dead_at) ON {{schema}}.events TO {{relay_role}};
GRANT SELECT ON {{schema}}.schema_migrations TO {{relay_role}};

-- Relay coordination (migration 0002): the relay registers itself with a heartbeat and takes,
-- renews and releases leases on subject partitions. The writer has no access to these tables.
GRANT SELECT, INSERT, UPDATE, DELETE ON {{schema}}.relay_replicas TO {{relay_role}};
GRANT SELECT, UPDATE ON {{schema}}.relay_leases TO {{relay_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.subject_partition(text) TO {{relay_role}};

-- Adaptive wake-ups (migration 0003): an idle relay marks itself waiting, so that writers NOTIFY,
-- and removes the mark when it has work again. enqueue_event(s) read the table as their owner: the
-- writer needs no privilege on it.
GRANT SELECT, INSERT, DELETE ON {{schema}}.relay_waiting TO {{relay_role}};
