-- This relay has work again (or stops): writers need not NOTIFY for it any more.
--
-- $1 text replica id
DELETE FROM {{schema}}.relay_waiting WHERE replica_id = $1::text;
