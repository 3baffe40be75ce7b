-- rims_core.item_events_rejected: raw rows that are not valid RIMS events, one row per Pub/Sub
-- message, with every raw column kept and the reason.
CREATE TABLE IF NOT EXISTS {{core}}.item_events_rejected (
  message_id VARCHAR NOT NULL,
  publish_time TIMESTAMPTZ NOT NULL,
  subscription_name VARCHAR,
  reason VARCHAR NOT NULL,
  specversion VARCHAR,
  id VARCHAR,
  source VARCHAR,
  type VARCHAR,
  subject VARCHAR,
  time VARCHAR,
  sequence VARCHAR,
  datacontenttype VARCHAR,
  data JSON,
  traceparent VARCHAR,
  attributes JSON,
  rejected_at TIMESTAMPTZ NOT NULL,
  run_id VARCHAR NOT NULL
);
