-- Generated from @rims/schemas by `pnpm generate` (packages/merger/src/sql-generation). Do not edit.
-- rims_raw.item_events: what the Pub/Sub BigQuery subscription writes, as `rims-merger land` writes it
-- locally. DuckDB has no partitions: min/max zone maps over the publish_time-ordered appends prune instead.
CREATE TABLE IF NOT EXISTS {{raw}}.item_events (
  specversion VARCHAR,
  id VARCHAR,
  source VARCHAR,
  type VARCHAR,
  subject VARCHAR,
  time VARCHAR,
  sequence VARCHAR,
  datacontenttype VARCHAR,
  data STRUCT(item_id VARCHAR, order_id VARCHAR, sku VARCHAR, quantity BIGINT, location_id VARCHAR, reason VARCHAR, shipment_id VARCHAR, status VARCHAR, replica VARCHAR, sent_at VARCHAR),
  traceparent VARCHAR,
  subscription_name VARCHAR,
  message_id VARCHAR,
  publish_time TIMESTAMPTZ,
  attributes JSON
);
