-- Marks a backfill done: --resume has nothing left to do.
--
-- $1 name.
UPDATE {{schema}}.backfill_progress SET finished_at = now(), updated_at = now() WHERE name = $1
