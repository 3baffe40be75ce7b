-- `rims-merger rebuild-history`: history rebuilt from all of Core, the rows history/rebuilt.sql
-- gives (one fragment, so the two cannot differ). Applies nothing without the merge lease.
-- Parameters: @holder.
INSERT INTO {{core}}.item_commitment_history (
  item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
  valid_from, valid_to, is_current
)
SELECT
  item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
  valid_from, valid_to, is_current
FROM (
{{fragment:history_rebuilt}}
)
WHERE EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
);
