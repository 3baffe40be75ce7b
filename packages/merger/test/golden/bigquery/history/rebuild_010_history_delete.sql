-- `rims-merger rebuild-history`, in one transaction with the rest of rebuild_*.sql: empties
-- history, which rebuild_020 fills again from Core. A BigQuery transaction allows DML only, so the
-- table is emptied rather than replaced. Applies nothing unless the rebuild holds the merge lease.
-- Parameters: @holder.
DELETE FROM `rims_core`.item_commitment_history
WHERE EXISTS (
  SELECT 1 FROM `rims_core`.merge_lease
  WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
);
