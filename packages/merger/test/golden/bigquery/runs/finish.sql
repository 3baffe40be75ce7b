-- Records how a run ended. Parameters: @run_id, @finished_at, @outcome, @raw_rows, @core_inserted,
-- @rejected_inserted, @state_changed, @bytes_processed, @duration_ms, @error.
UPDATE `rims_core`.merge_runs
SET
  finished_at = @finished_at,
  outcome = @outcome,
  raw_rows = @raw_rows,
  core_inserted = @core_inserted,
  rejected_inserted = @rejected_inserted,
  state_changed = @state_changed,
  bytes_processed = @bytes_processed,
  duration_ms = @duration_ms,
  error = @error
WHERE run_id = @run_id;
