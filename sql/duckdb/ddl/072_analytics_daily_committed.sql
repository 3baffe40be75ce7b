-- rims_analytics.daily_committed: per day (UTC), location and sku, the items and units potentially
-- committed at the end of the day (see the BigQuery file).
CREATE TABLE IF NOT EXISTS {{analytics}}.daily_committed (
  day DATE NOT NULL,
  location_id VARCHAR NOT NULL,
  sku VARCHAR NOT NULL,
  items BIGINT NOT NULL,
  quantity BIGINT NOT NULL
);
