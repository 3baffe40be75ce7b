-- The lease partition of each event, stored once at enqueue (@rims/relay, @rims/outbox).
--
-- The relay's fetch (sql/postgres/relay/fetch-pending.sql) keeps the events of the partitions its
-- replica holds. Computed there, subject_partition costs an md5 for every row the fetch reads, and
-- the fetch reads the rows still in flight again until they are recorded as published; with no
-- statistics on the expression, the planner also misjudges how many rows match and sorts the whole
-- backlog instead of walking the pending index.
--
-- The column is added without a default, so the upgrade does not rewrite the table (the outbox
-- keeps a day of published events by default; a rewrite would lock out writers for as long as it
-- takes). Events enqueued before this migration keep NULL, and the relay computes their partition
-- as before.
--
-- Only enqueue_events and enqueue_event write events, and they fill the column with
-- subject_partition(subject); no role but the owner may write it otherwise (the writer has no table privilege, the relay may
-- update only the publishing state). There is no CHECK tying it to the subject: PostgreSQL
-- evaluates a CHECK on every UPDATE of the row as well, so each mark-published would pay the md5
-- that storing the partition saves.
--
-- The md5 is paid once per subject, not per event: subject_sequences keeps the partition beside
-- the counter that enqueue updates anyway. In loops of 20,000 enqueue_event calls over 200
-- subjects (2 cores, 5 rounds alternating with 0005's function), computing it in each event's
-- INSERT made a call 14.5 us slower (146.1 us against 131.6, medians); taken from the counter row,
-- 122.1 us against 121.2, within the noise. Counter rows from before this migration (and the ones
-- a backfill creates to lock a subject) get it at their subject's next event.
--
-- enqueue_events (0003) and enqueue_event (0005) are replaced as they were, except that they fill
-- the columns; CREATE OR REPLACE keeps their owner and grants.
ALTER TABLE {{schema}}.events ADD COLUMN lease_partition smallint;
ALTER TABLE {{schema}}.subject_sequences ADD COLUMN lease_partition smallint;

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
  v_sequence  bigint;
  v_partition smallint;
BEGIN
  IF cardinality(p_ids) = 1 THEN
    -- One event, the common case: two plain statements.
    INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence, lease_partition)
    VALUES (p_subjects[1], 1, {{schema}}.subject_partition(p_subjects[1]))
    ON CONFLICT (subject) DO UPDATE
      SET last_sequence = s.last_sequence + 1,
          lease_partition = coalesce(s.lease_partition, excluded.lease_partition)
    RETURNING s.last_sequence, s.lease_partition INTO v_sequence, v_partition;

    INSERT INTO {{schema}}.events (id, subject, sequence, type, source, time, data, traceparent,
                                   lease_partition)
    VALUES (p_ids[1], p_subjects[1], v_sequence, p_types[1], p_source,
            coalesce(p_times[1], clock_timestamp()), p_data[1], p_traceparents[1], v_partition);

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
      INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence, lease_partition)
      SELECT p.subject, p.n, {{schema}}.subject_partition(p.subject) FROM per_subject p ORDER BY p.subject
      ON CONFLICT (subject) DO UPDATE
        SET last_sequence = s.last_sequence + excluded.last_sequence,
            lease_partition = coalesce(s.lease_partition, excluded.lease_partition)
      RETURNING s.subject, s.last_sequence, s.lease_partition
    ),
    numbered AS (
      SELECT i.id, i.subject, i.type, i.data, i.time, i.traceparent, i.ord, b.lease_partition,
             b.last_sequence - p.n + row_number() OVER (PARTITION BY i.subject ORDER BY i.ord) AS sequence
      FROM input i
      JOIN bumped b ON b.subject = i.subject
      JOIN per_subject p ON p.subject = i.subject
    ),
    inserted AS (
      INSERT INTO {{schema}}.events (id, subject, sequence, type, source, time, data, traceparent,
                                     lease_partition)
      SELECT n.id, n.subject, n.sequence, n.type, p_source, coalesce(n.time, clock_timestamp()), n.data, n.traceparent,
             n.lease_partition
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

CREATE OR REPLACE FUNCTION {{schema}}.enqueue_event(
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
  v_sequence  bigint;
  v_partition smallint;
BEGIN
  -- The partition comes from the counter row, which keeps it from the subject's first event on
  -- (COALESCE evaluates its second argument only while the row has none).
  UPDATE {{schema}}.subject_sequences AS s
  SET last_sequence = s.last_sequence + 1,
      lease_partition = coalesce(s.lease_partition, {{schema}}.subject_partition(p_subject))
  WHERE s.subject = p_subject
  RETURNING s.last_sequence, s.lease_partition INTO v_sequence, v_partition;

  IF NOT FOUND THEN
    INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence, lease_partition)
    VALUES (p_subject, 1, {{schema}}.subject_partition(p_subject))
    ON CONFLICT (subject) DO UPDATE
      SET last_sequence = s.last_sequence + 1,
          lease_partition = coalesce(s.lease_partition, excluded.lease_partition)
    RETURNING s.last_sequence, s.lease_partition INTO v_sequence, v_partition;
  END IF;

  INSERT INTO {{schema}}.events (id, subject, sequence, type, source, time, data, traceparent,
                                 lease_partition)
  VALUES (p_id, p_subject, v_sequence, p_type, p_source, coalesce(p_time, clock_timestamp()), p_data,
          p_traceparent, v_partition);

  -- As in enqueue_events (0003): NOTIFY only while a relay waits for it.
  IF p_wake_channel IS NOT NULL AND EXISTS (SELECT 1 FROM {{schema}}.relay_waiting) THEN
    PERFORM pg_notify(p_wake_channel, '');
  END IF;
  RETURN v_sequence;
END
$$;
