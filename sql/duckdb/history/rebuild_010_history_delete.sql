-- `rims-merger rebuild-history`: empties history, which rebuild_020 fills again from Core, in one
-- transaction with the rest of rebuild_*.sql (see the BigQuery file). Parameters: $holder.
DELETE FROM {{core}}.item_commitment_history
WHERE EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
);
