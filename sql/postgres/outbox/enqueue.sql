-- Enqueue a batch of events inside the caller's transaction, in one round trip (one event goes
-- through enqueue-one.sql). The work is in the enqueue_events function (migrations/0001_outbox.sql),
-- whose plans PostgreSQL caches per connection.
--
-- $1 uuid[] ids, $2 text[] subjects, $3 text[] types, $4 text[] data (JSON), $5 timestamptz[] times
-- (NULL: now), $6 text[] traceparents, $7 text source, $8 text wake channel (NULL: no NOTIFY).
SELECT id, sequence
FROM {{schema}}.enqueue_events($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::text[], $7::text, $8::text);
