-- Drops the counters lock-subjects.sql created for subjects that got no snapshot after all.
--
-- $1 text[] subjects.
SELECT {{schema}}.forget_unused_subjects($1::text[])
