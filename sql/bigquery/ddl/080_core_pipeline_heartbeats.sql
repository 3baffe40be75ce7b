-- rims_core.pipeline_heartbeats: every valid rims.pipeline.heartbeat.v1 event, one row per event id.
-- A heartbeat is never an item: it is recorded here, never in item_events or item state. Partitioned
-- by event time like item_events (copies of an event share it); small, so kept 30 days.
CREATE TABLE IF NOT EXISTS {{core}}.pipeline_heartbeats (
  id STRING NOT NULL OPTIONS (description = 'CloudEvent id of the heartbeat; unique in this table'),
  replica STRING NOT NULL OPTIONS (description = 'The relay replica that enqueued it (data.replica)'),
  time TIMESTAMP NOT NULL OPTIONS (description = 'CloudEvent time; partition column'),
  sent_at TIMESTAMP NOT NULL OPTIONS (description = 'Enqueue time: its outbox transaction committing (data.sent_at)'),
  publish_time TIMESTAMP NOT NULL OPTIONS (description = 'Pub/Sub publish time of the first landed copy'),
  message_id STRING NOT NULL OPTIONS (description = 'Pub/Sub message id of the first landed copy'),
  merged_at TIMESTAMP NOT NULL OPTIONS (description = 'Merge time: when the run that recorded it started'),
  run_id STRING NOT NULL OPTIONS (description = 'rims_core.merge_runs.run_id of that run')
)
PARTITION BY TIMESTAMP_TRUNC(time, DAY)
CLUSTER BY replica
OPTIONS (
  description = 'Pipeline heartbeats that reached Core: freshness of the warehouse (rims-merger check)',
  partition_expiration_days = 30
);
