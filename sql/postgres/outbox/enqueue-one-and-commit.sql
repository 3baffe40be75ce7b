-- The end of an outbox.transaction that added one event: enqueue it, then COMMIT, in ONE
-- simple-protocol message, so the event costs no round trip of its own. Several events go through
-- enqueue-and-commit.sql.
--
-- The simple protocol has no parameters: the numbered placeholders below are replaced by escaped
-- literals (packages/outbox/src/queries/sql-literal.ts), in the order and with the types of
-- enqueue-one.sql: id, subject, type, data (JSON), time (NULL: now), traceparent, source, wake
-- channel (NULL: no NOTIFY).
--
-- PostgreSQL runs the statements of one message in order and stops at the first error: when the
-- enqueue fails, COMMIT never runs and the transaction is left aborted, for the caller to roll back.
-- The subject lock enqueue_event takes is held only until the COMMIT right after it.
SELECT {{schema}}.enqueue_event($1::uuid, $2::text, $3::text, $4::jsonb, $5::timestamptz, $6::text, $7::text, $8::text);
COMMIT;
