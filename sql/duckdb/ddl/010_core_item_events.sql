-- rims_core.item_events: every valid event, exactly one row per event id.
CREATE TABLE IF NOT EXISTS {{core}}.item_events (
  id VARCHAR NOT NULL,
  type VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  subject VARCHAR NOT NULL,
  time TIMESTAMPTZ NOT NULL,
  sequence BIGINT NOT NULL,
  data JSON NOT NULL,
  traceparent VARCHAR,
  message_id VARCHAR NOT NULL,
  publish_time TIMESTAMPTZ NOT NULL,
  merged_at TIMESTAMPTZ NOT NULL,
  run_id VARCHAR NOT NULL
);
