-- Records a run as it starts. Parameters: @run_id, @mode, @holder, @started_at, @window_from,
-- @window_to, @lookback_seconds.
INSERT INTO `rims_core`.merge_runs (
  run_id, mode, holder, started_at, window_from, window_to, lookback_seconds, outcome
)
VALUES (@run_id, @mode, @holder, @started_at, @window_from, @window_to, @lookback_seconds, 'running');
