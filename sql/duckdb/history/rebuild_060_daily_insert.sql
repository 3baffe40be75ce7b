-- `rims-merger rebuild-history`: rims_analytics.daily_committed for every UTC day from the first
-- day of the rebuilt history through $days_through (see the BigQuery file: each history row is
-- the end-of-day state candidate of the days [valid_from's day, valid_to's day - 1], or through
-- $days_through while open; the highest version wins).
-- Parameters: $days_through (midnight UTC of the last day), $holder.
INSERT INTO {{analytics}}.daily_committed (day, location_id, sku, items, quantity)
SELECT day, location_id, sku, count(*) AS items, sum(quantity) AS quantity
FROM (
  SELECT d.day, h.is_potentially_committed, h.location_id, h.sku, h.quantity
  FROM {{core}}.item_commitment_history AS h,
    LATERAL (
      SELECT CAST(unnest(generate_series(
        CAST(h.valid_from AS DATE),
        CASE
          WHEN h.valid_to IS NULL THEN CAST($days_through AS DATE)
          ELSE CAST(h.valid_to AS DATE) - 1
        END,
        INTERVAL 1 DAY
      )) AS DATE) AS day
    ) AS d
  -- An interval left open by a gap overlaps the later ones: the highest version wins.
  QUALIFY row_number() OVER (PARTITION BY d.day, h.item_id ORDER BY h.version DESC) = 1
)
WHERE is_potentially_committed
  AND EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
  )
GROUP BY day, location_id, sku;
