-- rims_analytics.item_commitment_live: State overlaid with the valid raw events that landed since
-- the last merge, so a report sees a change as soon as the subscription lands it, not at the next
-- merge. Per item the highest sequence wins (on a tie the higher event id, as in the State MERGE);
-- a duplicate, an invalid row or an older sequence in raw never changes what it shows. Raw is read
-- through a constant partition filter (the last 6 hours by CURRENT_TIMESTAMP()): merges run every
-- few minutes, so anything older is already in State. updated_at of an overlaid row is its
-- publish time. The same columns as State.
CREATE OR REPLACE VIEW {{analytics}}.item_commitment_live
OPTIONS (description = 'Item commitment state including events landed since the last merge')
AS
SELECT
  item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version,
  last_event_id, last_event_time, updated_at, item_bucket
FROM (
  SELECT
    item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version,
    last_event_id, last_event_time, updated_at, item_bucket, 0 AS from_raw
  FROM {{core}}.item_commitment_state
  UNION ALL
  SELECT
    subject AS item_id,
    {{core}}.item_status_of(type, data.status) AS status,
    data.order_id AS order_id,
    IF({{core}}.item_status_of(type, data.status) = 'committed', data.sku, NULL) AS sku,
    IF({{core}}.item_status_of(type, data.status) = 'committed', data.quantity, NULL) AS quantity,
    IF({{core}}.item_status_of(type, data.status) = 'committed', data.location_id, NULL) AS location_id,
    {{core}}.item_status_of(type, data.status) = 'committed' AS is_potentially_committed,
    CAST(sequence AS INT64) AS version,
    id AS last_event_id,
    {{core}}.item_event_time(time) AS last_event_time,
    publish_time AS updated_at,
    {{core}}.item_bucket(subject) AS item_bucket,
    1 AS from_raw
  FROM {{raw}}.item_events
  WHERE publish_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 6 HOUR)
    AND {{core}}.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    -- Item events only: a pipeline event (a relay's heartbeat) is never an item.
    AND {{core}}.item_status_of(type, data.status) IS NOT NULL
)
-- On the same event (merged already), State's row wins: it is the same state.
QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY version DESC, last_event_id DESC, from_raw) = 1;
