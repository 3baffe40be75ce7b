-- rims_core.item_commitment_state: one row per item, from the event with the highest sequence
-- applied so far. sku, quantity and location_id describe the current commitment and are NULL when
-- the item is not committed.
CREATE TABLE IF NOT EXISTS {{core}}.item_commitment_state (
  item_id STRING NOT NULL OPTIONS (description = 'The RIMS item id'),
  status STRING NOT NULL OPTIONS (description = 'committed, available, fulfilled or cancelled'),
  order_id STRING OPTIONS (description = 'Order of the last applied event'),
  sku STRING OPTIONS (description = 'Stock keeping unit, while committed'),
  quantity INT64 OPTIONS (description = 'Units committed, while committed'),
  location_id STRING OPTIONS (description = 'Location holding the item, while committed'),
  is_potentially_committed BOOL NOT NULL OPTIONS (description = 'status = committed'),
  version INT64 NOT NULL OPTIONS (description = 'Sequence of the last applied event'),
  last_event_id STRING NOT NULL OPTIONS (description = 'Id of the last applied event'),
  last_event_time TIMESTAMP NOT NULL OPTIONS (description = 'Time of the last applied event'),
  updated_at TIMESTAMP NOT NULL OPTIONS (description = 'When the merge run that applied it started'),
  item_bucket INT64 NOT NULL OPTIONS (description = 'rims_core.item_bucket(item_id): the partition of the item')
)
-- A MERGE with an UPDATE clause bills every partition of the target it scans: partitions by a hash
-- of the item, filtered on the touched buckets, make a run read what it touches, not all of State.
PARTITION BY RANGE_BUCKET(item_bucket, GENERATE_ARRAY(0, 4000, 1))
CLUSTER BY item_id
OPTIONS (description = 'Current commitment state of each RIMS item');

-- A State table made by a release before item_bucket (unpartitioned: partitioning cannot be added
-- to an existing table, see README.md) gains the column and its values, so the MERGE's bucket filter
-- finds every row. Both are no-ops on a table made by this release.
ALTER TABLE {{core}}.item_commitment_state ADD COLUMN IF NOT EXISTS item_bucket INT64
  OPTIONS (description = 'rims_core.item_bucket(item_id): the partition of the item');
UPDATE {{core}}.item_commitment_state SET item_bucket = {{core}}.item_bucket(item_id)
WHERE item_bucket IS NULL;
