-- Starts a backfill from the beginning, replacing any earlier run of the same name.
--
-- $1 name, $2 query hash, $3 total rows.
INSERT INTO {{schema}}.backfill_progress AS p (name, query_hash, total)
VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE
SET query_hash = excluded.query_hash, last_item_id = NULL, total = excluded.total,
    read = 0, enqueued = 0, skipped = 0, invalid = 0,
    started_at = now(), updated_at = now(), finished_at = NULL
