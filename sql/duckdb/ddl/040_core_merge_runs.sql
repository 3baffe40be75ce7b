-- rims_core.merge_runs: one row per merge run (or per chunk of a long repair run).
CREATE TABLE IF NOT EXISTS {{core}}.merge_runs (
  run_id VARCHAR NOT NULL PRIMARY KEY,
  mode VARCHAR NOT NULL,
  holder VARCHAR NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  window_from TIMESTAMPTZ NOT NULL,
  window_to TIMESTAMPTZ NOT NULL,
  lookback_seconds BIGINT,
  raw_rows BIGINT,
  core_inserted BIGINT,
  rejected_inserted BIGINT,
  state_changed BIGINT,
  bytes_processed BIGINT,
  duration_ms BIGINT,
  outcome VARCHAR NOT NULL,
  error VARCHAR
);
