-- rims-outbox backfill: one rims.item.snapshot.v1 per existing item, safe beside live writers.
--
-- A snapshot must be read only once its subject's sequence lock is held (see lock_subjects below),
-- so a live change either commits before the read and is in the snapshot, or takes the next
-- sequence after it. An item that predates the outbox has no subject_sequences row to lock yet:
-- the backfill inserts one at 0 ("locked, no event yet"); its snapshot's enqueue then numbers it 1.
ALTER TABLE {{schema}}.subject_sequences DROP CONSTRAINT subject_sequences_last_sequence_check;
ALTER TABLE {{schema}}.subject_sequences
  ADD CONSTRAINT subject_sequences_last_sequence_check CHECK (last_sequence >= 0);

-- Takes the sequence lock of each subject, as enqueue_events does (the same row, the same upsert,
-- subjects in the same sorted order, so it cannot deadlock with a batch enqueue), without
-- numbering anything: the DO UPDATE's WHERE false locks the existing row and writes nothing.
-- The locks are held until the caller's transaction ends.
CREATE FUNCTION {{schema}}.lock_subjects(p_subjects text[])
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO {{schema}}.subject_sequences AS s (subject, last_sequence)
  SELECT DISTINCT t.subject, 0 FROM unnest(p_subjects) AS t (subject) ORDER BY t.subject
  ON CONFLICT (subject) DO UPDATE SET last_sequence = s.last_sequence WHERE false;
$$;

-- Removes the rows lock_subjects created for subjects that got no event after all (the item was
-- deleted before its snapshot was read, or its row was invalid), so a counter at 0 never stays.
CREATE FUNCTION {{schema}}.forget_unused_subjects(p_subjects text[])
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  DELETE FROM {{schema}}.subject_sequences WHERE subject = ANY(p_subjects) AND last_sequence = 0;
$$;

REVOKE ALL ON FUNCTION {{schema}}.lock_subjects(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.forget_unused_subjects(text[]) FROM PUBLIC;

-- One row per backfill (--name): where it stands, saved in the transaction of each batch, so a
-- crash or Ctrl-C loses no finished batch and --resume starts right after the last one.
CREATE TABLE {{schema}}.backfill_progress (
  name         text        PRIMARY KEY,
  -- SHA-256 of the query and the filters (--items, --sample): --resume refuses a different one.
  query_hash   text        NOT NULL,
  -- The item_id (as text) of the last item of the last committed batch; NULL before the first.
  last_item_id text,
  -- Rows the query returned (after the filters) when the run started.
  total        bigint      NOT NULL,
  -- Rows read so far, snapshots enqueued, items gone at re-read, rows refused by validation.
  read         bigint      NOT NULL DEFAULT 0,
  enqueued     bigint      NOT NULL DEFAULT 0,
  skipped      bigint      NOT NULL DEFAULT 0,
  invalid      bigint      NOT NULL DEFAULT 0,
  started_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
