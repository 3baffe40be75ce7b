-- enqueue_event: one event, the common case, with plain arguments instead of arrays.
--
-- One event through enqueue_events costs 60 to 75 us of backend CPU more than through this function
-- (bench/outbox-write, backend CPU from /proc/<pid>/schedstat; README, Benchmarks): the array
-- literals coerced element by element, the set-returning call with its tuplestore and count(*)
-- around it, and the arrays expanded again inside the function. What is left is the two writes.
--
-- The counter is taken with a plain UPDATE first: an existing subject (every one after its first
-- event) then costs one heap update, where INSERT ... ON CONFLICT DO UPDATE first writes a tuple
-- lock record and then the update (54 bytes of WAL more per event). The row lock is the same one
-- (the UPDATE waits for a concurrent writer of the subject and, in READ COMMITTED, numbers from
-- the value it committed), so numbers stay gapless and in commit order. A subject without a row
-- falls through to the upsert of 0001, which settles a race with a concurrent first event. One
-- subject per call: no lock-order question; batches still go through enqueue_events, which
-- locks their subjects in sorted order.
CREATE FUNCTION {{schema}}.enqueue_event(
  p_id           uuid,
  p_subject      text,
  p_type         text,
  p_data         jsonb,
  p_time         timestamptz,     -- NULL: the database clock at enqueue
  p_traceparent  text,
  p_source       text,
  p_wake_channel text             -- NULL: no NOTIFY
)
RETURNS bigint                    -- the event's sequence
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_sequence bigint;
BEGIN
  UPDATE {{schema}}.subject_sequences AS s
  SET last_sequence = s.last_sequence + 1
  WHERE s.subject = p_subject
  RETURNING s.last_sequence INTO v_sequence;

  IF NOT FOUND THEN
    INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence)
    VALUES (p_subject, 1)
    ON CONFLICT (subject) DO UPDATE SET last_sequence = s.last_sequence + 1
    RETURNING s.last_sequence INTO v_sequence;
  END IF;

  INSERT INTO {{schema}}.events (id, subject, sequence, type, source, time, data, traceparent)
  VALUES (p_id, p_subject, v_sequence, p_type, p_source, coalesce(p_time, clock_timestamp()), p_data,
          p_traceparent);

  -- As in enqueue_events (0003): NOTIFY only while a relay waits for it.
  IF p_wake_channel IS NOT NULL AND EXISTS (SELECT 1 FROM {{schema}}.relay_waiting) THEN
    PERFORM pg_notify(p_wake_channel, '');
  END IF;
  RETURN v_sequence;
END
$$;

REVOKE ALL ON FUNCTION {{schema}}.enqueue_event(uuid, text, text, jsonb, timestamptz, text, text, text) FROM PUBLIC;

-- Clients of this release send one event through enqueue_event: every role that may run
-- enqueue_events (granted by grant-roles.sql or grant-backfill-role.sql of an earlier release, or
-- by hand) may run it too, so an upgrade does not take enqueueing away from anyone.
DO $$
DECLARE
  v_grantee name;
BEGIN
  FOR v_grantee IN
    SELECT DISTINCT r.rolname
    FROM pg_catalog.pg_proc p
    CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
    JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
    WHERE p.oid = '{{schema}}.enqueue_events(uuid[], text[], text[], jsonb[], timestamptz[], text[], text, text)'::pg_catalog.regprocedure
      AND a.privilege_type = 'EXECUTE'
      AND a.grantee <> p.proowner
  LOOP
    EXECUTE pg_catalog.format(
      'GRANT EXECUTE ON FUNCTION {{schema}}.enqueue_event(uuid, text, text, jsonb, timestamptz, text, text, text) TO %I',
      v_grantee
    );
  END LOOP;
END
$$;
