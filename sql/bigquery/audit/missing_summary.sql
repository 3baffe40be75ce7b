-- Valid raw events of the audit window that are not in Core, counted without a limit: those behind
-- the lookback (published before @pending_from, where the next incremental run's window starts)
-- with the publish-time range a repair run must cover, and those pending. missing.sql lists at most
-- @limit of them; the repair window comes from this statement so that it covers every one.
-- Parameters: @audit_from, @audit_to, @pending_from, @min_time, @max_time (event-time range
-- of the window's valid rows, from merge/010_window.sql).
SELECT
  COUNTIF(r.publish_time < @pending_from) AS behind_events,
  MIN(IF(r.publish_time < @pending_from, r.publish_time, NULL)) AS behind_from,
  MAX(IF(r.publish_time < @pending_from, r.publish_time, NULL)) AS behind_to,
  COUNTIF(r.publish_time >= @pending_from) AS pending_events
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
  );
