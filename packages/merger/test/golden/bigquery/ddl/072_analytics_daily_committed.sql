-- rims_analytics.daily_committed: per day (UTC), location and sku, the items and units potentially
-- committed at the end of the day (for today: as of the latest run). Maintained by `rims-merger
-- run` as a change per run (merge/072_daily_committed.sql).
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

-- rims_core.daily_committed_through: the last day rims_analytics.daily_committed holds. A run adds
-- its changes to the days up to it and carries the last day forward to each new day, in the same
-- transaction that advances it (merge/072-074), so a day is never carried twice.
CREATE TABLE IF NOT EXISTS `rims_core`.daily_committed_through (
  name STRING NOT NULL,
  through_day DATE NOT NULL
)
OPTIONS (description = 'The last day rims_analytics.daily_committed holds');

-- A warehouse of an older release: its runs kept daily_committed up to the day of their window's end.
INSERT INTO `rims_core`.daily_committed_through (name, through_day)
SELECT 'item-commitment', DATE(MAX(window_to))
FROM `rims_core`.merge_runs
WHERE outcome = 'succeeded'
  AND NOT EXISTS (SELECT 1 FROM `rims_core`.daily_committed_through WHERE name = 'item-commitment')
HAVING MAX(window_to) IS NOT NULL;
