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

-- No rims_core.item_history_spans locally: on BigQuery it gives a run a constant lower bound on
-- the history partitions of the items it touches; DuckDB has no partitions to prune, and keeping
-- the table cost a run about as much as the rest of its history work (bench/merger-history). A
-- warehouse of an earlier release drops it.
DROP TABLE IF EXISTS {{core}}.item_history_spans;
