-- Valid raw events of the audit window that are not in Core, oldest first. Whether each is still
-- inside the next run's window (pending: information) or already behind the lookback (a finding) is
-- decided against the watermark.
-- Parameters: @audit_from, @audit_to, @min_time, @max_time (event-time range of the window's
-- valid rows, from merge/010_window.sql), @limit.
SELECT r.id, r.subject, CAST(r.sequence AS INT64) AS sequence, r.publish_time
FROM {{raw}}.item_events AS r
WHERE r.publish_time >= @audit_from AND r.publish_time < @audit_to
  AND {{core}}.item_event_reject_reason(
    r.specversion, r.id, r.source, r.type, r.subject, r.time, r.sequence, r.datacontenttype, r.data,
    r.traceparent
  ) IS NULL
  AND {{core}}.item_status_of(r.type, r.data.status) IS NOT NULL
  -- Copies of an event share its time: constant bounds (the event-time range of the window's valid
  -- rows) prune Core to the partitions they can be in.
  AND NOT EXISTS (
    SELECT 1 FROM {{core}}.item_events AS c
    WHERE c.id = r.id AND c.time BETWEEN @min_time AND @max_time
  )
ORDER BY r.publish_time, r.id
LIMIT @limit;
