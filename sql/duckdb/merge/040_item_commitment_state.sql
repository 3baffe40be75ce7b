-- Raw -> State: per item, the valid raw event of the window with the highest sequence, applied only
-- when higher than the stored version (on a tie, when its id is higher). It reads Raw, not Core, so
-- it needs no second pass over Core. Reruns, duplicates and any arrival order give the same state.
-- Parameters: $window_from, $window_to, $min_time, $max_time, $merged_at, $holder.
MERGE INTO {{core}}.item_commitment_state AS t
USING (
  SELECT
    item_id,
    status,
    order_id,
    CASE WHEN status = 'committed' THEN sku END AS sku,
    CASE WHEN status = 'committed' THEN quantity END AS quantity,
    CASE WHEN status = 'committed' THEN location_id END AS location_id,
    status = 'committed' AS is_potentially_committed,
    version,
    last_event_id,
    last_event_time
  FROM (
    SELECT
      subject AS item_id,
      {{core}}.item_status_of(type) AS status,
      data.order_id AS order_id,
      data.sku AS sku,
      data.quantity AS quantity,
      data.location_id AS location_id,
      CAST(sequence AS BIGINT) AS version,
      id AS last_event_id,
      {{core}}.item_event_time(time) AS last_event_time
    FROM {{raw}}.item_events
    WHERE publish_time >= $window_from AND publish_time < $window_to
      AND {{core}}.item_event_reject_reason(
        specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
      ) IS NULL
      -- A pipeline event (the heartbeat) has no item status: never an item, never in item state.
      AND {{core}}.item_status_of(type) IS NOT NULL
      -- The events Core takes in this run (020 applies the same bounds), so State never gets ahead
      -- of Core with a row that landed after 010_window.sql ran.
      AND {{core}}.item_event_time(time) BETWEEN $min_time AND $max_time
      AND EXISTS (
        SELECT 1 FROM {{core}}.merge_lease
        WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
      )
    -- Ties (two different events claiming one sequence) resolve by id, here and in the MATCHED
    -- condition below, so the result never depends on arrival order.
    QUALIFY ROW_NUMBER() OVER (PARTITION BY subject ORDER BY CAST(sequence AS BIGINT) DESC, id DESC) = 1
  )
) AS s
ON t.item_id = s.item_id
WHEN MATCHED
  AND (s.version > t.version OR (s.version = t.version AND s.last_event_id > t.last_event_id)) THEN
  UPDATE SET
    status = s.status,
    order_id = s.order_id,
    sku = s.sku,
    quantity = s.quantity,
    location_id = s.location_id,
    is_potentially_committed = s.is_potentially_committed,
    version = s.version,
    last_event_id = s.last_event_id,
    last_event_time = s.last_event_time,
    updated_at = $merged_at
WHEN NOT MATCHED THEN
  INSERT (
    item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version,
    last_event_id, last_event_time, updated_at
  )
  VALUES (
    s.item_id, s.status, s.order_id, s.sku, s.quantity, s.location_id, s.is_potentially_committed,
    s.version, s.last_event_id, s.last_event_time, $merged_at
  );
