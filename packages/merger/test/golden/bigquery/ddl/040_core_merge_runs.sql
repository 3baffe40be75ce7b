-- rims_core.merge_runs: one row per merge run (or per chunk of a long repair run).
CREATE TABLE IF NOT EXISTS `rims_core`.merge_runs (
  run_id STRING NOT NULL,
  mode STRING NOT NULL OPTIONS (description = 'incremental (window from the watermark) or repair (--from/--to)'),
  holder STRING NOT NULL OPTIONS (description = 'Lease holder: host, pid and a random id'),
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  window_from TIMESTAMP NOT NULL OPTIONS (description = 'Inclusive lower bound on raw publish_time'),
  window_to TIMESTAMP NOT NULL OPTIONS (description = 'Exclusive upper bound on raw publish_time'),
  lookback_seconds INT64,
  raw_rows INT64 OPTIONS (description = 'Raw rows in the window'),
  core_inserted INT64 OPTIONS (description = 'Events added to rims_core.item_events'),
  rejected_inserted INT64 OPTIONS (description = 'Rows added to rims_core.item_events_rejected'),
  state_changed INT64 OPTIONS (description = 'Items inserted or updated in rims_core.item_commitment_state'),
  bytes_processed INT64 OPTIONS (description = 'Bytes processed by the BigQuery jobs of the run'),
  duration_ms INT64,
  outcome STRING NOT NULL OPTIONS (description = 'running, succeeded or failed'),
  error STRING
)
OPTIONS (description = 'Log of rims-merger runs');
