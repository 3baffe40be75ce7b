-- History -> discrepancies (drift detection): per snapshot (rims.item.snapshot.v1 at sequence n) of
-- the items this run touches, the state it states against the item's derived state at version
-- n - 1: the history row of n - 1, the state after event n - 1, whatever State holds now (events
-- land in any order). A difference is written once per snapshot event id, so reruns and duplicates
-- add nothing. Each run that touches the item compares again, so the pair is compared by the first
-- run that holds both: when n - 1 lands after the snapshot, the run that merges it finds the drift.
-- No row n - 1 means nothing to compare: n = 1 (a bootstrap) or a gap, which the audit reports.
-- Compared: status; order_id when the snapshot states one (an available item may have none, while
-- history keeps the order a release named); sku, quantity and location_id, which history holds only
-- while committed (NULL otherwise on both sides, as State), so they count when both are committed.
-- Core, history and this table are read from @history_from (071: the earliest event time of the
-- touched items; a snapshot and its n - 1 are events of those items, so they are never earlier).
-- Parameters: @window_from, @window_to, @min_time, @max_time, @buckets, @history_from, @merged_at,
-- @run_id, @holder.
MERGE `rims_core`.item_state_discrepancies AS t
USING (
  SELECT
    snapshot.item_id,
    snapshot.version AS sequence,
    snapshot.event_id,
    snapshot.valid_from AS snapshot_time,
    snapshot.status AS snapshot_status,
    snapshot.order_id AS snapshot_order_id,
    snapshot.sku AS snapshot_sku,
    snapshot.quantity AS snapshot_quantity,
    snapshot.location_id AS snapshot_location_id,
    derived.event_id AS derived_event_id,
    derived.status AS derived_status,
    derived.order_id AS derived_order_id,
    derived.sku AS derived_sku,
    derived.quantity AS derived_quantity,
    derived.location_id AS derived_location_id
  FROM `rims_core`.item_commitment_history AS snapshot
  JOIN `rims_core`.item_commitment_history AS derived
    ON derived.item_id = snapshot.item_id AND derived.version = snapshot.version - 1
  WHERE snapshot.valid_from >= @history_from
    AND derived.valid_from >= @history_from
    -- The snapshots among the versions (history keeps no type): Core events of the touched items.
    AND snapshot.event_id IN (
      SELECT id
      FROM `rims_core`.item_events
      WHERE time >= @history_from
        AND type = 'rims.item.snapshot.v1'
        -- The items of the window's valid events (the filters 010_window.sql counts them with).
        AND subject IN (
          SELECT subject
          FROM `rims_raw`.item_events
          WHERE publish_time >= @window_from AND publish_time < @window_to
            AND `rims_core`.item_event_reject_reason(
              specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
            ) IS NULL
            AND `rims_core`.item_event_time(time) BETWEEN @min_time AND @max_time
            AND `rims_core`.item_bucket(subject) IN UNNEST(@buckets)
        )
    )
    AND (
      snapshot.status <> derived.status
      OR (snapshot.order_id IS NOT NULL AND snapshot.order_id IS DISTINCT FROM derived.order_id)
      OR snapshot.sku IS DISTINCT FROM derived.sku
      OR snapshot.quantity IS DISTINCT FROM derived.quantity
      OR snapshot.location_id IS DISTINCT FROM derived.location_id
    )
    AND EXISTS (
      SELECT 1 FROM `rims_core`.merge_lease
      WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
    )
) AS s
ON t.snapshot_time >= @history_from AND t.event_id = s.event_id
WHEN NOT MATCHED THEN
  INSERT (
    item_id, sequence, event_id, snapshot_time, snapshot_status, snapshot_order_id, snapshot_sku,
    snapshot_quantity, snapshot_location_id, derived_event_id, derived_status, derived_order_id,
    derived_sku, derived_quantity, derived_location_id, detected_at, run_id
  )
  VALUES (
    s.item_id, s.sequence, s.event_id, s.snapshot_time, s.snapshot_status, s.snapshot_order_id,
    s.snapshot_sku, s.snapshot_quantity, s.snapshot_location_id, s.derived_event_id, s.derived_status,
    s.derived_order_id, s.derived_sku, s.derived_quantity, s.derived_location_id, @merged_at, @run_id
  );
