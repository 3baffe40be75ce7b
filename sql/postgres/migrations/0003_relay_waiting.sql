-- Adaptive commit wake-ups (@rims/relay, @rims/outbox).
--
-- NOTIFY makes PostgreSQL serialise the commits of every notifying transaction (PreCommit_Notify
-- takes a database-wide lock), which slows concurrent writers. Writers therefore NOTIFY only while
-- some relay is actually waiting for a wake-up. A relay registers here when it has been idle for a
-- while (no work found for RELAY_IDLE_AFTER); while it is busy, or polling briskly after recent work,
-- it has no row and writers do not notify. It removes its row when it finds work again and when it
-- stops; a dead replica's row is removed when its registration is pruned (live-replicas.sql).
--
-- Unlogged: marking and unmarking write no WAL, so they cost no WAL flush at commit. After a crash
-- the table is empty; relays re-mark themselves (they refresh their row at every poll interval while
-- they wait), and until then they find work by polling.
CREATE UNLOGGED TABLE {{schema}}.relay_waiting (
  replica_id text        PRIMARY KEY,
  -- When this relay began waiting: how long it has been idle.
  since      timestamptz NOT NULL DEFAULT now()
);

-- Rows come and go at most a few times a second per replica: vacuum the tiny table often, so the
-- writers' EXISTS check never wades through dead rows.
ALTER TABLE {{schema}}.relay_waiting SET (
  autovacuum_vacuum_threshold = 20,
  autovacuum_vacuum_scale_factor = 0
);

-- enqueue_events as in 0001, except that it notifies only when a relay waits. The check runs at
-- enqueue, not at commit: a writer that enqueued before a relay marked itself, and commits after
-- that relay's confirming fetch, is not announced, and is found by the relay's next poll at the
-- latest (RELAY_POLL_INTERVAL). Under REPEATABLE READ or SERIALIZABLE the check sees the
-- transaction's snapshot, so "enqueued" reads "began" there.
CREATE OR REPLACE FUNCTION {{schema}}.enqueue_events(
  p_ids          uuid[],
  p_subjects     text[],
  p_types        text[],
  p_data         jsonb[],
  p_times        timestamptz[],   -- NULL element: the database clock at enqueue
  p_traceparents text[],
  p_source       text,
  p_wake_channel text             -- NULL: no NOTIFY
)
RETURNS TABLE (id uuid, sequence bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_sequence bigint;
BEGIN
  IF cardinality(p_ids) = 1 THEN
    -- One event, the common case: two plain statements.
    INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence)
    VALUES (p_subjects[1], 1)
    ON CONFLICT (subject) DO UPDATE SET last_sequence = s.last_sequence + 1
    RETURNING s.last_sequence INTO v_sequence;

    INSERT INTO {{schema}}.events (id, subject, sequence, type, source, time, data, traceparent)
    VALUES (p_ids[1], p_subjects[1], v_sequence, p_types[1], p_source,
            coalesce(p_times[1], clock_timestamp()), p_data[1], p_traceparents[1]);

    id := p_ids[1];
    sequence := v_sequence;
    RETURN NEXT;
  ELSE
    -- A batch: subjects are locked in sorted order, so two batches naming the same subjects in
    -- different orders cannot deadlock each other.
    RETURN QUERY
    WITH input AS (
      SELECT t.id, t.subject, t.type, t.data, t.time, t.traceparent, t.ord
      FROM unnest(p_ids, p_subjects, p_types, p_data, p_times, p_traceparents)
        WITH ORDINALITY AS t (id, subject, type, data, time, traceparent, ord)
    ),
    per_subject AS (
      SELECT i.subject, count(*) AS n FROM input i GROUP BY i.subject
    ),
    bumped AS (
      INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence)
      SELECT p.subject, p.n FROM per_subject p ORDER BY p.subject
      ON CONFLICT (subject) DO UPDATE SET last_sequence = s.last_sequence + excluded.last_sequence
      RETURNING s.subject, s.last_sequence
    ),
    numbered AS (
      SELECT i.id, i.subject, i.type, i.data, i.time, i.traceparent, i.ord,
             b.last_sequence - p.n + row_number() OVER (PARTITION BY i.subject ORDER BY i.ord) AS sequence
      FROM input i
      JOIN bumped b ON b.subject = i.subject
      JOIN per_subject p ON p.subject = i.subject
    ),
    inserted AS (
      INSERT INTO {{schema}}.events (id, subject, sequence, type, source, time, data, traceparent)
      SELECT n.id, n.subject, n.sequence, n.type, p_source, coalesce(n.time, clock_timestamp()), n.data, n.traceparent
      FROM numbered n
      ORDER BY n.ord
    )
    SELECT n.id, n.sequence FROM numbered n ORDER BY n.ord;
  END IF;

  -- Delivered at COMMIT, never for a rolled-back transaction; repeats in one transaction fold into
  -- one. Only while a relay waits for it: otherwise the relays are busy or polling briskly, and the
  -- notification would only serialise this commit with every other notifying one.
  IF p_wake_channel IS NOT NULL AND EXISTS (SELECT 1 FROM {{schema}}.relay_waiting) THEN
    PERFORM pg_notify(p_wake_channel, '');
  END IF;
END
$$;
