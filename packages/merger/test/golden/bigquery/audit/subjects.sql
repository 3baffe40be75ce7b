-- Per item with valid raw events in the audit window: the highest sequence in Raw, in Core and the
-- applied version in State, for the items where they disagree or Core has gaps. Pending events
-- (valid, not in Core, published at or after @pending_from, where the next incremental run's window
-- starts) count as merged when Raw is compared with Core and gaps are looked for: under live
-- traffic they are on their way, not lost. State is compared with Core alone.
-- Core is read from @core_from (the earliest event time of the raw rows the audit looks at), so
-- the cost follows the audited span: sequences are compared within what Core holds from then on.
-- Parameters: @audit_from, @audit_to (raw publish_time), @pending_from, @core_from, @limit.
WITH raw_max AS (
  SELECT subject, MAX(CAST(sequence AS INT64)) AS raw_max_sequence
  FROM `rims_raw`.item_events
  WHERE publish_time >= @audit_from AND publish_time < @audit_to
    AND `rims_core`.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    AND `rims_core`.item_status_of(type, data.status) IS NOT NULL
  GROUP BY subject
),
core_events AS (
  SELECT subject, sequence
  FROM `rims_core`.item_events
  WHERE time >= @core_from AND subject IN (SELECT subject FROM raw_max)
),
pending AS (
  SELECT r.subject, CAST(r.sequence AS INT64) AS sequence
  FROM `rims_raw`.item_events AS r
  WHERE r.publish_time >= @pending_from
    AND r.subject IN (SELECT subject FROM raw_max)
    AND `rims_core`.item_event_reject_reason(
      r.specversion, r.id, r.source, r.type, r.subject, r.time, r.sequence, r.datacontenttype, r.data,
      r.traceparent
    ) IS NULL
    AND `rims_core`.item_status_of(r.type, r.data.status) IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM `rims_core`.item_events AS c WHERE c.time >= @core_from AND c.id = r.id
    )
),
core_max AS (
  SELECT
    subject,
    MAX(sequence) AS core_max_sequence,
    COUNT(DISTINCT sequence) AS core_sequences
  FROM core_events
  GROUP BY subject
),
known_max AS (
  SELECT
    subject,
    MAX(sequence) AS known_max_sequence,
    MIN(sequence) AS known_min_sequence,
    COUNT(DISTINCT sequence) AS known_sequences
  FROM (SELECT subject, sequence FROM core_events UNION ALL SELECT subject, sequence FROM pending)
  GROUP BY subject
)
SELECT
  r.subject,
  r.raw_max_sequence,
  c.core_max_sequence,
  c.core_sequences,
  k.known_max_sequence,
  k.known_sequences,
  k.known_min_sequence,
  s.version AS state_version
FROM raw_max AS r
LEFT JOIN core_max AS c ON c.subject = r.subject
LEFT JOIN known_max AS k ON k.subject = r.subject
LEFT JOIN `rims_core`.item_commitment_state AS s ON s.item_id = r.subject
WHERE k.known_max_sequence IS NULL
  OR r.raw_max_sequence > k.known_max_sequence
  OR k.known_sequences <> k.known_max_sequence - k.known_min_sequence + 1
  OR (c.core_max_sequence IS NOT NULL AND (s.version IS NULL OR s.version <> c.core_max_sequence))
ORDER BY r.subject
LIMIT @limit;
