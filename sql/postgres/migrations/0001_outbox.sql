-- The transactional outbox: one row per event, written in the application's own transaction.
--
-- Per-subject sequence numbers come from subject_sequences: enqueue upserts the subject's row, and
-- the row lock it takes is held until the writer commits. A second writer on the same subject waits
-- there, so numbers are gapless and follow commit order, and a rolled-back writer consumes none.
-- Writers on different subjects never touch the same row and never wait on each other.

CREATE TABLE {{schema}}.subject_sequences (
  subject       text   PRIMARY KEY,
  last_sequence bigint NOT NULL CHECK (last_sequence > 0)
);

CREATE TABLE {{schema}}.events (
  -- Insertion order. Within one subject it equals sequence order (writers on a subject are
  -- serialised above); across subjects it is NOT commit order, so readers must never page by
  -- "position > last seen" alone: a long transaction can commit a lower position later.
  position     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           uuid        NOT NULL,
  subject      text        NOT NULL,
  sequence     bigint      NOT NULL CHECK (sequence > 0),
  type         text        NOT NULL,
  source       text        NOT NULL,
  time         timestamptz NOT NULL,
  data         jsonb       NOT NULL,
  traceparent  text,
  -- Publishing state, owned by the relay.
  published_at timestamptz,
  attempts     integer     NOT NULL DEFAULT 0,
  last_error   text,
  dead_at      timestamptz
);

-- What is left to publish. Readers find work by state, which cannot skip a late commit.
-- No unique index on id or (subject, sequence): both are unique by construction (random UUIDs, the
-- counter above), and every extra index is paid on each enqueue and each publish.
CREATE INDEX events_pending ON {{schema}}.events (position)
  WHERE published_at IS NULL AND dead_at IS NULL;

-- enqueue_events writes a batch in one call, so application code pays one round trip per enqueue,
-- and PL/pgSQL caches the plans of these statements per connection instead of planning each call.
-- SECURITY DEFINER lets the application's role add events through this function alone: it needs
-- EXECUTE here and no privilege on the tables (see sql/postgres/outbox/grant-roles.sql).
CREATE FUNCTION {{schema}}.enqueue_events(
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

  -- Delivered at COMMIT, never for a rolled-back transaction; repeats in one transaction fold into one.
  IF p_wake_channel IS NOT NULL THEN
    PERFORM pg_notify(p_wake_channel, '');
  END IF;
END
$$;

REVOKE ALL ON FUNCTION {{schema}}.enqueue_events(uuid[], text[], text[], jsonb[], timestamptz[], text[], text, text) FROM PUBLIC;
