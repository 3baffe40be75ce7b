-- `rims-merger rebuild-history`: per item, the earliest valid_from of its rebuilt history (see
-- the BigQuery file). Parameters: $holder.
INSERT INTO {{core}}.item_history_spans (item_id, first_valid_from)
SELECT item_id, min(valid_from)
FROM {{core}}.item_commitment_history
WHERE EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
)
GROUP BY item_id;
