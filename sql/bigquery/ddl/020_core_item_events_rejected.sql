-- rims_core.item_events_rejected: raw rows that are not valid RIMS events, one row per Pub/Sub
-- message, with every raw column kept and the reason. Nothing invalid reaches rims_core.item_events.
CREATE TABLE IF NOT EXISTS {{core}}.item_events_rejected (
  message_id STRING NOT NULL OPTIONS (description = 'Pub/Sub message id'),
  publish_time TIMESTAMP NOT NULL OPTIONS (description = 'Pub/Sub publish time; partition column'),
  subscription_name STRING OPTIONS (description = 'Subscription that landed the row'),
  reason STRING NOT NULL OPTIONS (description = 'Every issue, as `path: message; path: message`'),
  specversion STRING,
  id STRING,
  source STRING,
  type STRING,
  subject STRING,
  time STRING,
  sequence STRING,
  datacontenttype STRING,
  data JSON,
  traceparent STRING,
  attributes JSON,
  rejected_at TIMESTAMP NOT NULL OPTIONS (description = 'When the merge run that rejected the row started'),
  run_id STRING NOT NULL OPTIONS (description = 'rims_core.merge_runs.run_id of that run')
)
PARTITION BY TIMESTAMP_TRUNC(publish_time, DAY)
CLUSTER BY type, subject
OPTIONS (description = 'RIMS item events rejected on the way from Raw to Core, with the reason');
