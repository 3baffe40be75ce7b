-- rims_core.item_state_discrepancies: drift between the application and the warehouse. One row per
-- snapshot event (rims.item.snapshot.v1 at sequence n) whose state differs from the item's derived
-- state at version n - 1, the state the events before it give (item_commitment_history). Written
-- by `rims-merger run` (merge/075), reported by `rims-merger audit`. Partitioned by the snapshot's
-- event time, like history by valid_from: the run's idempotence lookup (one row per event_id) and
-- the audit read prune by the same constant lower bounds as history and Core.
CREATE TABLE IF NOT EXISTS {{core}}.item_state_discrepancies (
  item_id STRING NOT NULL OPTIONS (description = 'The RIMS item id'),
  sequence INT64 NOT NULL OPTIONS (description = 'Sequence n of the snapshot'),
  event_id STRING NOT NULL OPTIONS (description = 'Id of the snapshot event; unique in this table'),
  snapshot_time TIMESTAMP NOT NULL OPTIONS (description = 'Event time of the snapshot; partition column'),
  snapshot_status STRING NOT NULL OPTIONS (description = 'Status the application stated (data.status)'),
  snapshot_order_id STRING OPTIONS (description = 'Order the application stated'),
  snapshot_sku STRING OPTIONS (description = 'Stock keeping unit the application stated, while committed'),
  snapshot_quantity INT64 OPTIONS (description = 'Units the application stated, while committed'),
  snapshot_location_id STRING OPTIONS (description = 'Location the application stated, while committed'),
  derived_event_id STRING NOT NULL OPTIONS (description = 'Id of the event at version n - 1'),
  derived_status STRING NOT NULL OPTIONS (description = 'Status after the events up to n - 1'),
  derived_order_id STRING OPTIONS (description = 'Order after the events up to n - 1'),
  derived_sku STRING OPTIONS (description = 'Stock keeping unit after the events up to n - 1, while committed'),
  derived_quantity INT64 OPTIONS (description = 'Units after the events up to n - 1, while committed'),
  derived_location_id STRING OPTIONS (description = 'Location after the events up to n - 1, while committed'),
  detected_at TIMESTAMP NOT NULL OPTIONS (description = 'When the run that found it started'),
  run_id STRING NOT NULL OPTIONS (description = 'rims_core.merge_runs.run_id of that run')
)
PARTITION BY TIMESTAMP_TRUNC(snapshot_time, DAY)
CLUSTER BY item_id
OPTIONS (description = 'Items whose snapshot differs from the state the warehouse derived before it');
