-- The end of an outbox.transaction: enqueue the batch its callback added, then COMMIT, in ONE
-- simple-protocol message, so the events cost no round trip of their own. A single event goes
-- through enqueue-one-and-commit.sql.
--
-- The simple protocol has no parameters: the numbered placeholders below are replaced by escaped
-- literals (packages/outbox/src/queries/sql-literal.ts), in the order and with the types of
-- enqueue.sql: ids, subjects, types, data (JSON), times (NULL: now), traceparents, source, wake
-- channel (NULL: no NOTIFY).
--
-- PostgreSQL runs the statements of one message in order and stops at the first error: when the
-- enqueue fails, COMMIT never runs and the transaction is left aborted, for the caller to roll back.
-- The subject locks enqueue_events takes are held only until the COMMIT right after it.
SELECT count(*) FROM {{schema}}.enqueue_events($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::text[], $7::text, $8::text);
COMMIT;
