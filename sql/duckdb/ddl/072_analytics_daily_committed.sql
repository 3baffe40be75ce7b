-- rims_analytics.daily_committed: per day (UTC), location and sku, the items and units potentially
-- committed at the end of the day (see the BigQuery file).
CREATE TABLE IF NOT EXISTS {{analytics}}.daily_committed (
  day DATE NOT NULL,
  location_id VARCHAR NOT NULL,
  sku VARCHAR NOT NULL,
  items BIGINT NOT NULL,
  quantity BIGINT NOT NULL
);

-- rims_core.daily_committed_through: the last day daily_committed holds (see the BigQuery file).
CREATE TABLE IF NOT EXISTS {{core}}.daily_committed_through (
  name VARCHAR NOT NULL PRIMARY KEY,
  through_day DATE NOT NULL
);

-- A warehouse of an older release: its runs kept daily_committed up to the day of their window's end.
INSERT INTO {{core}}.daily_committed_through (name, through_day)
SELECT 'item-commitment', CAST(max(window_to) AS DATE)
FROM {{core}}.merge_runs
WHERE outcome = 'succeeded'
  AND NOT EXISTS (SELECT 1 FROM {{core}}.daily_committed_through WHERE name = 'item-commitment')
HAVING max(window_to) IS NOT NULL;
