-- Merge runs (or repair chunks) that failed since @since, and when the latest of them started.
SELECT COUNT(*) AS failed, MAX(started_at) AS last_failed_at
FROM {{core}}.merge_runs
WHERE outcome = 'failed' AND started_at >= @since;
