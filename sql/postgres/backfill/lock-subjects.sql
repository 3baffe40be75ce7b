-- Takes the sequence locks of a batch's subjects, held until the transaction ends
-- (migrations/0004_backfill.sql).
--
-- $1 text[] subjects.
SELECT {{schema}}.lock_subjects($1::text[])
