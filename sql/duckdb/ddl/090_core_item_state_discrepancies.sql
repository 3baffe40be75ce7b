-- rims_core.item_state_discrepancies: drift between the application and the warehouse, one row per
-- snapshot event whose state differs from the item's derived state at version n - 1 (see the
-- BigQuery file).
CREATE TABLE IF NOT EXISTS {{core}}.item_state_discrepancies (
  item_id VARCHAR NOT NULL,
  sequence BIGINT NOT NULL,
  event_id VARCHAR NOT NULL,
  snapshot_time TIMESTAMPTZ NOT NULL,
  snapshot_status VARCHAR NOT NULL,
  snapshot_order_id VARCHAR,
  snapshot_sku VARCHAR,
  snapshot_quantity BIGINT,
  snapshot_location_id VARCHAR,
  derived_event_id VARCHAR NOT NULL,
  derived_status VARCHAR NOT NULL,
  derived_order_id VARCHAR,
  derived_sku VARCHAR,
  derived_quantity BIGINT,
  derived_location_id VARCHAR,
  detected_at TIMESTAMPTZ NOT NULL,
  run_id VARCHAR NOT NULL
);
