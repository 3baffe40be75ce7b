-- Sequence gaps in Core for the items with valid raw events in the audit window: each missing
-- range between two sequences Core holds from @core_from on. Pending events (valid, not in Core,
-- published at or after @pending_from, where the next incremental run's window starts) fill gaps:
-- the next run merges them. Core is read from @core_from (the earliest event time of the raw rows
-- the audit looks at) so its cost follows the audited span, not Core's history: a sequence missing
-- before an item's first event in that range is not seen (an earlier audit covered it).
-- Parameters: @audit_from, @audit_to, @pending_from, @core_from, @limit.
WITH subjects AS (
  SELECT DISTINCT subject
  FROM {{raw}}.item_events
  WHERE publish_time >= @audit_from AND publish_time < @audit_to
),
known AS (
  SELECT subject, sequence
  FROM {{core}}.item_events
  WHERE time >= @core_from AND subject IN (SELECT subject FROM subjects)
  UNION ALL
  SELECT r.subject, CAST(r.sequence AS INT64) AS sequence
  FROM {{raw}}.item_events AS r
  WHERE r.publish_time >= @pending_from
    AND r.subject IN (SELECT subject FROM subjects)
    AND {{core}}.item_event_reject_reason(
      r.specversion, r.id, r.source, r.type, r.subject, r.time, r.sequence, r.datacontenttype, r.data,
      r.traceparent
    ) IS NULL
    AND {{core}}.item_status_of(r.type, r.data.status) IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM {{core}}.item_events AS c WHERE c.time >= @core_from AND c.id = r.id
    )
),
ordered AS (
  SELECT
    subject,
    sequence,
    LAG(sequence) OVER (PARTITION BY subject ORDER BY sequence) AS previous
  FROM known
)
SELECT subject, previous + 1 AS missing_from, sequence - 1 AS missing_to
FROM ordered
WHERE previous IS NOT NULL AND sequence - previous > 1
ORDER BY subject, missing_from
LIMIT @limit;
