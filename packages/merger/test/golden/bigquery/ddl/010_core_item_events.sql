-- rims_core.item_events: every valid event, exactly one row per event id. Partitioned by event
-- time: duplicates of an event share its time, so the merge finds them in a few partitions.
CREATE TABLE IF NOT EXISTS `rims_core`.item_events (
  id STRING NOT NULL OPTIONS (description = 'CloudEvent id; unique in this table'),
  type STRING NOT NULL OPTIONS (description = 'CloudEvent type, such as rims.item.committed.v1'),
  source STRING NOT NULL OPTIONS (description = 'Producer of the event'),
  subject STRING NOT NULL OPTIONS (description = 'The item id'),
  time TIMESTAMP NOT NULL OPTIONS (description = 'When the state change happened; partition column'),
  sequence INT64 NOT NULL OPTIONS (description = 'Per-item sequence number 1, 2, 3 ...'),
  data JSON NOT NULL OPTIONS (description = 'The event payload (fields other types carry are null)'),
  traceparent STRING OPTIONS (description = 'W3C trace context of the enqueuing code'),
  message_id STRING NOT NULL OPTIONS (description = 'Pub/Sub message id of the first landed copy'),
  publish_time TIMESTAMP NOT NULL OPTIONS (description = 'Pub/Sub publish time of the first landed copy'),
  merged_at TIMESTAMP NOT NULL OPTIONS (description = 'When the merge run that added the row started'),
  run_id STRING NOT NULL OPTIONS (description = 'rims_core.merge_runs.run_id of that run')
)
PARTITION BY TIMESTAMP_TRUNC(time, DAY)
CLUSTER BY subject, id
OPTIONS (description = 'Validated RIMS item events, one row per event id');
