-- How long a batch may wait for one subject's lock before it gives up and is retried. While it
-- waits it holds the locks it already has, so live writers of those items wait too: behind a long
-- application transaction, a batch steps back rather than stall up to a batch's worth of items.
--
-- $1 text the timeout, such as '2s' (for this transaction only).
SELECT set_config('lock_timeout', $1, true)
