-- rims_core.item_commitment_history: one row per (item_id, version) of every valid event in Core
-- (see the BigQuery file: valid_to is the time of version + 1, NULL while current or while that
-- version is missing; is_current marks the highest version).
CREATE TABLE IF NOT EXISTS {{core}}.item_commitment_history (
  item_id VARCHAR NOT NULL,
  version BIGINT NOT NULL,
  status VARCHAR NOT NULL,
  order_id VARCHAR,
  sku VARCHAR,
  quantity BIGINT,
  location_id VARCHAR,
  is_potentially_committed BOOLEAN NOT NULL,
  event_id VARCHAR NOT NULL,
  valid_from TIMESTAMPTZ NOT NULL,
  valid_to TIMESTAMPTZ,
  is_current BOOLEAN NOT NULL
);

-- rims_core.item_history_spans: per item, the earliest event time in its history (the lower
-- bound of a history rewrite; see the BigQuery file).
CREATE TABLE IF NOT EXISTS {{core}}.item_history_spans (
  item_id VARCHAR NOT NULL PRIMARY KEY,
  first_valid_from TIMESTAMPTZ NOT NULL
);
