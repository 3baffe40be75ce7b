-- The current rows of a batch's items, read by the operator's --query in a statement of its own
-- AFTER the batch's subjects are locked (lock-subjects.sql): under READ COMMITTED it sees every
-- change committed before the locks were granted. Items the query no longer returns are gone.
--
-- $1 item ids (array, as text; PostgreSQL converts them to the item_id's own type).
SELECT q.item_id::text AS item_id,
       q.status::text AS status,
       q.order_id::text AS order_id,
       q.sku::text AS sku,
       q.quantity::bigint AS quantity,
       q.location_id::text AS location_id
FROM (
/*@query*/
) AS q
WHERE q.item_id = ANY($1)
ORDER BY q.item_id
