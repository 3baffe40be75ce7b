-- Registers this relay as waiting for a commit wake-up: from now on enqueue_events NOTIFYs (see
-- migrations/0003_relay_waiting.sql). Returns a row only when the mark is new (it was absent, or
-- lost in a crash, which empties the unlogged table): the caller then fetches once more, to catch a
-- writer that checked for waiting relays just before the mark.
--
-- $1 text replica id
INSERT INTO {{schema}}.relay_waiting (replica_id)
VALUES ($1::text)
ON CONFLICT (replica_id) DO NOTHING
RETURNING replica_id;
