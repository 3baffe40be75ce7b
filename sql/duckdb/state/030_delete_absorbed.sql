-- Compaction, step 3 of 3: recent rows that base now holds (or holds a newer row than) go, so
-- recent is small again. A row merged after step 2 is newer than base's and stays.
-- Parameters: $holder.
DELETE FROM {{core}}.item_commitment_state_recent AS r
WHERE EXISTS (
  SELECT 1 FROM {{core}}.item_commitment_state_base AS b
  WHERE b.item_id = r.item_id
    AND (b.version > r.version OR (b.version = r.version AND b.last_event_id >= r.last_event_id))
)
AND EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
);
