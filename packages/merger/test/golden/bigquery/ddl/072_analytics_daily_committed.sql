-- rims_analytics.daily_committed: per day (UTC), location and sku, the items and units potentially
-- committed at the end of the day (for today: as of the latest run). Maintained by `rims-merger
-- run` for the days it touches (merge/073_daily_committed.sql).
CREATE TABLE IF NOT EXISTS `rims_analytics`.daily_committed (
  day DATE NOT NULL OPTIONS (description = 'UTC day; partition column'),
  location_id STRING NOT NULL,
  sku STRING NOT NULL,
  items INT64 NOT NULL OPTIONS (description = 'Items potentially committed at the end of the day'),
  quantity INT64 NOT NULL OPTIONS (description = 'Their units')
)
PARTITION BY day
CLUSTER BY location_id, sku
OPTIONS (description = 'Items and quantity potentially committed at the end of each day, per location and sku');
