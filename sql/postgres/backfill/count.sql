-- How many rows of the operator's --query a backfill covers: after the cursor, among --items,
-- in the --sample. Each filter is off when its parameter is NULL (PostgreSQL plans with the values,
-- so an unused filter costs nothing and a used one can take the item_id index).
--
-- $1 cursor (item_id as text), $2 items (array), $3 sample seed, $4 sample threshold (of 2^20).
SELECT count(*) AS n
FROM (
/*@query*/
) AS q
WHERE (q.item_id > $1 OR $1 IS NULL)
  AND (q.item_id = ANY($2) OR $2 IS NULL)
  AND ((hashtextextended(q.item_id::text, $3) & 1048575) < $4 OR $4 IS NULL)
