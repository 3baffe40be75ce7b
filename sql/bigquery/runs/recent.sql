-- The latest runs, newest first. Parameters: @limit.
SELECT
  run_id, mode, outcome, started_at, finished_at, window_from, window_to, raw_rows, core_inserted,
  rejected_inserted, state_changed, bytes_processed, duration_ms, error
FROM {{core}}.merge_runs
ORDER BY started_at DESC
LIMIT @limit;
