-- `rims-merger rebuild-history`: empties rims_analytics.daily_committed, which rebuild_060 fills
-- again. Parameters: $holder.
DELETE FROM {{analytics}}.daily_committed
WHERE EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
);
