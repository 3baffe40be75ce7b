-- rims_core.item_commitment_state: one row per item, from the event with the highest sequence
-- applied so far. sku, quantity and location_id are NULL when the item is not committed.
CREATE TABLE IF NOT EXISTS {{core}}.item_commitment_state (
  item_id VARCHAR NOT NULL PRIMARY KEY,
  status VARCHAR NOT NULL,
  order_id VARCHAR,
  sku VARCHAR,
  quantity BIGINT,
  location_id VARCHAR,
  is_potentially_committed BOOLEAN NOT NULL,
  version BIGINT NOT NULL,
  last_event_id VARCHAR NOT NULL,
  last_event_time TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
