-- rims_core.item_commitment_history: one row per (item_id, version) of every valid event in Core,
-- with the state after it. valid_to is the time of version + 1; it stays NULL while that version
-- is missing (a gap: the earlier interval is left open until the missing event lands) and on the
-- current row. is_current marks the highest version. Maintained by `rims-merger run` for the items
-- a run touches (merge/070-072); equal to history/rebuild.sql after any sequence of runs.
CREATE TABLE IF NOT EXISTS `rims_core`.item_commitment_history (
  item_id STRING NOT NULL OPTIONS (description = 'The RIMS item id'),
  version INT64 NOT NULL OPTIONS (description = 'Sequence of the event'),
  status STRING NOT NULL OPTIONS (description = 'committed, available, fulfilled or cancelled, after the event'),
  order_id STRING OPTIONS (description = 'Order of the event'),
  sku STRING OPTIONS (description = 'Stock keeping unit, while committed'),
  quantity INT64 OPTIONS (description = 'Units committed, while committed'),
  location_id STRING OPTIONS (description = 'Location holding the item, while committed'),
  is_potentially_committed BOOL NOT NULL OPTIONS (description = 'status = committed'),
  event_id STRING NOT NULL OPTIONS (description = 'Id of the event (on two events claiming one sequence, the higher id)'),
  valid_from TIMESTAMP NOT NULL OPTIONS (description = 'Event time; partition column'),
  valid_to TIMESTAMP OPTIONS (description = 'Event time of version + 1; NULL while current or while version + 1 is missing'),
  is_current BOOL NOT NULL OPTIONS (description = 'The highest version of the item in Core')
)
PARTITION BY TIMESTAMP_TRUNC(valid_from, DAY)
CLUSTER BY item_id
OPTIONS (description = 'Commitment history of each RIMS item (SCD2), one row per version');

-- rims_core.item_history_spans: per item, the earliest event time in its history. A run reads it
-- for the buckets it touches and uses the earliest time of its items as the constant lower bound
-- on valid_from (and on Core's time) when it rewrites their history: the history partitions of
-- the touched items, never the whole table.
CREATE TABLE IF NOT EXISTS `rims_core`.item_history_spans (
  item_id STRING NOT NULL OPTIONS (description = 'The RIMS item id'),
  first_valid_from TIMESTAMP NOT NULL OPTIONS (description = 'Earliest event time of the item'),
  item_bucket INT64 NOT NULL OPTIONS (description = 'rims_core.item_bucket(item_id): the partition of the item')
)
PARTITION BY RANGE_BUCKET(item_bucket, GENERATE_ARRAY(0, 4000, 1))
CLUSTER BY item_id
OPTIONS (description = 'Earliest event time per item: the lower bound of a history rewrite');
