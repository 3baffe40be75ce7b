-- Example report: per location and sku, the items and units potentially committed at @ts.
-- Parameters: @ts.
SELECT location_id, sku, COUNT(*) AS items, SUM(quantity) AS quantity
FROM `rims_analytics`.item_commitment_as_of(@ts)
WHERE is_potentially_committed
GROUP BY location_id, sku
ORDER BY location_id, sku;
