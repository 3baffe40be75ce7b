-- `rims-merger rebuild-history`: rims_analytics.daily_committed for every UTC day from the first
-- day of the rebuilt history through @days_through: per day, location and sku, the items (and
-- their units) potentially committed at the end of the day. An item's end-of-day state on day d is
-- its history row of the highest version with valid_from < d + 1 and (valid_to IS NULL or
-- valid_to >= d + 1), as rims_analytics.item_commitment_as_of gives it. That row condition is
-- d in [DATE(valid_from), DATE(valid_to) - 1] (through @days_through while open), so each row is
-- spread over its own days instead of joining every day with every row. Reads the history
-- rebuild_020 wrote, in the same transaction. Applies nothing without the merge lease.
-- Parameters: @days_through (midnight UTC of the last day), @holder.
INSERT INTO {{analytics}}.daily_committed (day, location_id, sku, items, quantity)
SELECT day, location_id, sku, COUNT(*) AS items, SUM(quantity) AS quantity
FROM (
  SELECT day, h.is_potentially_committed, h.location_id, h.sku, h.quantity
  FROM {{core}}.item_commitment_history AS h,
    UNNEST(GENERATE_DATE_ARRAY(
      DATE(h.valid_from),
      IF(h.valid_to IS NULL, DATE(@days_through), DATE_SUB(DATE(h.valid_to), INTERVAL 1 DAY))
    )) AS day
  -- An interval left open by a gap overlaps the later ones: the highest version wins.
  QUALIFY ROW_NUMBER() OVER (PARTITION BY day, h.item_id ORDER BY h.version DESC) = 1
)
WHERE is_potentially_committed
  AND EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )
GROUP BY day, location_id, sku;
