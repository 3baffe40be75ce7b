-- The columns and types of the operator's --query, without reading a row. Run in a READ ONLY
-- transaction: as a subquery, PostgreSQL itself refuses anything but one SELECT (or WITH ...
-- SELECT) with no data-modifying CTE, and READ ONLY refuses functions that write and FOR UPDATE.
SELECT *
FROM (
/*@query*/
) AS q
LIMIT 0
