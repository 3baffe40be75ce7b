-- The next page of item ids of the operator's --query, in item_id order after the cursor (keyset
-- pagination: each page is an index range scan when the query's item_id is an indexed column).
-- Filters as in count.sql. The rows themselves are read again after the subjects are locked
-- (reread.sql): only the ids are taken from here.
--
-- $1 cursor (item_id as text), $2 items (array), $3 sample seed, $4 sample threshold (of 2^20),
-- $5 page size.
SELECT q.item_id::text AS item_id
FROM (
/*@query*/
) AS q
WHERE (q.item_id > $1 OR $1 IS NULL)
  AND (q.item_id = ANY($2) OR $2 IS NULL)
  AND ((hashtextextended(q.item_id::text, $3) & 1048575) < $4 OR $4 IS NULL)
ORDER BY q.item_id
LIMIT $5
