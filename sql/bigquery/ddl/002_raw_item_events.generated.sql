-- Generated from @rims/schemas by `pnpm generate` (packages/merger/src/sql-generation). Do not edit.
-- rims_raw.item_events: what the Pub/Sub BigQuery subscription (use_table_schema, write_metadata,
-- drop_unknown_fields) writes. See sql/bigquery/README.md for the column mapping and its sources.
CREATE TABLE IF NOT EXISTS {{raw}}.item_events (
  specversion STRING OPTIONS (description = 'CloudEvents specification version'),
  id STRING OPTIONS (description = 'Unique event id (UUID); deduplication key'),
  source STRING OPTIONS (description = 'Producer of the event, a URI reference such as //rims/app'),
  type STRING OPTIONS (description = 'CloudEvents type'),
  subject STRING OPTIONS (description = 'The item id (heartbeat/<replica> for a pipeline heartbeat); Pub/Sub ordering key'),
  time STRING OPTIONS (description = 'RFC 3339 time of the state change'),
  sequence STRING OPTIONS (description = 'Per-subject sequence number as a decimal string (CloudEvents sequence extension)'),
  datacontenttype STRING OPTIONS (description = 'Media type of data'),
  data STRUCT<item_id STRING, order_id STRING, sku STRING, quantity INT64, location_id STRING, reason STRING, shipment_id STRING, status STRING, replica STRING, sent_at STRING> OPTIONS (description = 'The event payload: the union of every event type’s data fields'),
  traceparent STRING OPTIONS (description = 'W3C trace context of the enqueuing code (CloudEvents distributed tracing extension)'),
  subscription_name STRING OPTIONS (description = 'Pub/Sub subscription that wrote the row'),
  message_id STRING OPTIONS (description = 'Pub/Sub message id'),
  publish_time TIMESTAMP OPTIONS (description = 'Pub/Sub publish time; partition column'),
  attributes JSON OPTIONS (description = 'Pub/Sub attributes and ordering_key as a JSON object')
)
PARTITION BY TIMESTAMP_TRUNC(publish_time, {{option:raw_partition}})
CLUSTER BY subject, type
OPTIONS (
  partition_expiration_days = {{option:raw_partition_expiration_days}},
  require_partition_filter = TRUE,
  description = 'RIMS item events as landed by the Pub/Sub BigQuery subscription (at least once: duplicates possible)'
);

-- Re-applied on every provision, so changed settings reach an existing table.
ALTER TABLE {{raw}}.item_events SET OPTIONS (
  partition_expiration_days = {{option:raw_partition_expiration_days}},
  require_partition_filter = TRUE
);
