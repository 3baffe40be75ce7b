-- Enqueue one event inside the caller's transaction, in one round trip: the common case, through
-- enqueue_event (migrations/0005_enqueue_event.sql), which takes plain arguments and so costs
-- PostgreSQL less than a batch of one through enqueue.sql. Its plans are cached per connection.
--
-- $1 uuid id, $2 text subject, $3 text type, $4 text data (JSON), $5 timestamptz time (NULL: now),
-- $6 text traceparent, $7 text source, $8 text wake channel (NULL: no NOTIFY).
SELECT $1::uuid AS id,
       {{schema}}.enqueue_event($1::uuid, $2::text, $3::text, $4::jsonb, $5::timestamptz, $6::text, $7::text, $8::text) AS sequence;
