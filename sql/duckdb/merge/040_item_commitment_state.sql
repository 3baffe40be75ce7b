-- Core -> State: per item, the event with the highest sequence among those Core took in this run
-- (and in runs that did not succeed, which may have stopped before this step), applied only when
-- higher than the stored version (on a tie, when its id is higher). Every other Core event was
-- applied by the successful run that took it, and State only moves up, so reruns, duplicates and
-- any arrival order give the same state.
-- Locally it writes the small table of recent changes only (see ddl/030): the version it compares
-- with is recent's, and the State view picks the higher of recent and base per item. Reading only
-- the run's new Core rows (not the lookback window's raw rows, as BigQuery does) keeps events that
-- a compaction moved into base from coming back into recent on every later run.
-- Parameters: $min_time, $max_time (zone-map bounds of the events Core took), $run_id, $merged_at,
-- $holder.
MERGE INTO {{core}}.item_commitment_state_recent AS t
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
      {{core}}.item_status_of(type, data->>'status') AS status,
      data->>'order_id' AS order_id,
      data->>'sku' AS sku,
      CAST(data->>'quantity' AS BIGINT) AS quantity,
      data->>'location_id' AS location_id,
      sequence AS version,
      id AS last_event_id,
      time AS last_event_time
    FROM {{core}}.item_events
    WHERE time BETWEEN $min_time AND $max_time
      AND (
        run_id = $run_id
        OR run_id NOT IN (SELECT run_id FROM {{core}}.merge_runs WHERE outcome = 'succeeded')
      )
      AND EXISTS (
        SELECT 1 FROM {{core}}.merge_lease
        WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
      )
    -- Ties (two different events claiming one sequence) resolve by id, here and in the MATCHED
    -- condition below, so the result never depends on arrival order.
    QUALIFY ROW_NUMBER() OVER (PARTITION BY subject ORDER BY sequence DESC, id DESC) = 1
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
