-- The State partition of an item: a stable hash of its id in [0, 4000). State is integer-range
-- partitioned on it, so a MERGE given the buckets of the items it touches reads only those
-- partitions (see README.md, "What a run costs"). 4,000 because a single job may modify at most
-- 4,000 partitions: a run touching every bucket still succeeds. The hash never changes: changing it
-- would move every item, so a new count means a new column and a rebuilt table.
CREATE OR REPLACE FUNCTION {{core}}.item_bucket(item_id STRING) RETURNS INT64 AS (
  ABS(MOD(FARM_FINGERPRINT(item_id), 4000))
);
