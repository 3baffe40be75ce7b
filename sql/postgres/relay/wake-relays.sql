-- Wakes the relays listening on the outbox's channel (delivered at commit).
--
-- $1 text wake channel
SELECT pg_notify($1::text, '');
