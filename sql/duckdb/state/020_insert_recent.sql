-- Compaction, step 2 of 3: recent rows of items base does not hold are copied into base. After
-- step 1 that is every item recent holds a newer row of; the view shows the same rows either way.
-- Parameters: $holder.
INSERT INTO {{core}}.item_commitment_state_base
SELECT
  r.item_id, r.status, r.order_id, r.sku, r.quantity, r.location_id, r.is_potentially_committed,
  r.version, r.last_event_id, r.last_event_time, r.updated_at
FROM {{core}}.item_commitment_state_recent AS r
WHERE NOT EXISTS (SELECT 1 FROM {{core}}.item_commitment_state_base AS b WHERE b.item_id = r.item_id)
AND EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
);
