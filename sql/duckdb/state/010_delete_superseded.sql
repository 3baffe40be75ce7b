-- Compaction, step 1 of 3: base rows that a recent row supersedes go. The State view still shows
-- the recent row, so readers see no change; rerunning this step deletes nothing more.
-- Parameters: $holder (a run that lost its lease changes nothing).
DELETE FROM {{core}}.item_commitment_state_base AS b
WHERE EXISTS (
  SELECT 1 FROM {{core}}.item_commitment_state_recent AS r
  WHERE r.item_id = b.item_id
    AND (r.version > b.version OR (r.version = b.version AND r.last_event_id > b.last_event_id))
)
AND EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
);
