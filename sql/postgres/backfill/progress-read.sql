-- A backfill's saved progress, for --resume.
--
-- $1 name.
SELECT name, query_hash, last_item_id, total, read, enqueued, skipped, invalid,
       started_at, updated_at, finished_at
FROM {{schema}}.backfill_progress
WHERE name = $1
