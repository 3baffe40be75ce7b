-- Example report: per location and sku, the items and units potentially committed at $ts.
-- Parameters: $ts.
SELECT location_id, sku, count(*) AS items, sum(quantity) AS quantity
FROM {{analytics}}.item_commitment_as_of($ts)
WHERE is_potentially_committed
GROUP BY location_id, sku
ORDER BY location_id, sku;
