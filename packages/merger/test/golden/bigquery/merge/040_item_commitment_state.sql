-- Raw -> State: per item, the valid raw event of the window with the highest sequence, applied only
-- when higher than the stored version (on a tie, when its id is higher). It reads Raw, not Core, so
-- it needs no second pass over Core. Reruns, duplicates and any arrival order give the same state.
-- Parameters: @window_from, @window_to, @min_time, @max_time, @buckets (State partitions of the
-- window's items, from 010_window.sql), @merged_at, @holder.
MERGE `rims_core`.item_commitment_state AS t
USING (
  SELECT
    item_id,
    status,
    order_id,
    IF(status = 'committed', sku, NULL) AS sku,
    IF(status = 'committed', quantity, NULL) AS quantity,
    IF(status = 'committed', location_id, NULL) AS location_id,
    status = 'committed' AS is_potentially_committed,
    version,
    last_event_id,
    last_event_time,
    item_bucket
  FROM (
    SELECT
      subject AS item_id,
      `rims_core`.item_status_of(type, data.status) AS status,
      data.order_id AS order_id,
      data.sku AS sku,
      data.quantity AS quantity,
      data.location_id AS location_id,
      CAST(sequence AS INT64) AS version,
      id AS last_event_id,
      `rims_core`.item_event_time(time) AS last_event_time,
      `rims_core`.item_bucket(subject) AS item_bucket
    FROM `rims_raw`.item_events
    WHERE publish_time >= @window_from AND publish_time < @window_to
      AND `rims_core`.item_event_reject_reason(
        specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
      ) IS NULL
      -- A pipeline event (the heartbeat) has no item status: never an item, never in item state.
      AND `rims_core`.item_status_of(type, data.status) IS NOT NULL
      -- The events Core takes in this run (020 applies the same bounds), so State never gets ahead
      -- of Core with a row that landed after 010_window.sql ran.
      AND `rims_core`.item_event_time(time) BETWEEN @min_time AND @max_time
      -- Only items of the buckets the ON clause reads: an item of another bucket would find no row
      -- there and be inserted a second time. (A row landing after 010_window.sql can have one.)
      AND `rims_core`.item_bucket(subject) IN UNNEST(@buckets)
      AND EXISTS (
        SELECT 1 FROM `rims_core`.merge_lease
        WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
      )
    -- Ties (two different events claiming one sequence) resolve by id, here and in the MATCHED
    -- condition below, so the result never depends on arrival order.
    QUALIFY ROW_NUMBER() OVER (PARTITION BY subject ORDER BY CAST(sequence AS INT64) DESC, id DESC) = 1
  )
) AS s
-- The bucket filter is what prunes: only the partitions of the touched items are read (and billed).
ON t.item_bucket IN UNNEST(@buckets) AND t.item_id = s.item_id
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
    updated_at = @merged_at
WHEN NOT MATCHED THEN
  INSERT (
    item_id, status, order_id, sku, quantity, location_id, is_potentially_committed, version,
    last_event_id, last_event_time, updated_at, item_bucket
  )
  VALUES (
    s.item_id, s.status, s.order_id, s.sku, s.quantity, s.location_id, s.is_potentially_committed,
    s.version, s.last_event_id, s.last_event_time, @merged_at, s.item_bucket
  );
