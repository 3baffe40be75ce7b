-- rims_analytics.item_commitment_live: State overlaid with the valid raw events that landed since
-- the last merge, highest sequence winning, raw read through a constant filter on publish_time
-- (the last 6 hours; see the BigQuery file). The same columns as State.
CREATE OR REPLACE VIEW {{analytics}}.item_commitment_live AS
SELECT
  item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version,
  last_event_id, last_event_time, updated_at
FROM (
  SELECT
    item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version,
    last_event_id, last_event_time, updated_at, 0 AS from_raw
  FROM {{core}}.item_commitment_state
  UNION ALL
  SELECT
    subject AS item_id,
    {{core}}.item_status_of(type, data.status) AS status,
    data.order_id AS order_id,
    CASE WHEN {{core}}.item_status_of(type, data.status) = 'committed' THEN data.sku END AS sku,
    CASE WHEN {{core}}.item_status_of(type, data.status) = 'committed' THEN data.quantity END AS quantity,
    CASE WHEN {{core}}.item_status_of(type, data.status) = 'committed' THEN data.location_id END AS location_id,
    {{core}}.item_status_of(type, data.status) = 'committed' AS is_potentially_committed,
    CAST(sequence AS BIGINT) AS version,
    id AS last_event_id,
    {{core}}.item_event_time(time) AS last_event_time,
    publish_time AS updated_at,
    1 AS from_raw
  FROM {{raw}}.item_events
  WHERE publish_time >= current_timestamp - INTERVAL 6 HOUR
    AND {{core}}.item_event_reject_reason(
      specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
    ) IS NULL
    -- Item events only: a pipeline event (a relay's heartbeat) is never an item.
    AND {{core}}.item_status_of(type, data.status) IS NOT NULL
)
-- On the same event (merged already), State's row wins: it is the same state.
QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY version DESC, last_event_id DESC, from_raw) = 1;
