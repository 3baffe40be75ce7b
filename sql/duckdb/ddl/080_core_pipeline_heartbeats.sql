-- rims_core.pipeline_heartbeats: every valid rims.pipeline.heartbeat.v1 event, one row per event id.
-- A heartbeat is never an item: it is recorded here, never in item_events or item state.
CREATE TABLE IF NOT EXISTS {{core}}.pipeline_heartbeats (
  id VARCHAR NOT NULL,
  replica VARCHAR NOT NULL,
  time TIMESTAMPTZ NOT NULL,
  sent_at TIMESTAMPTZ NOT NULL,
  publish_time TIMESTAMPTZ NOT NULL,
  message_id VARCHAR NOT NULL,
  merged_at TIMESTAMPTZ NOT NULL,
  run_id VARCHAR NOT NULL
);
