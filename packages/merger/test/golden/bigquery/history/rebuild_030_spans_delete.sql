-- `rims-merger rebuild-history`: empties the history spans, which rebuild_040 fills again from the
-- rebuilt history. Applies nothing without the merge lease. Parameters: @holder.
DELETE FROM `rims_core`.item_history_spans
WHERE EXISTS (
  SELECT 1 FROM `rims_core`.merge_lease
  WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
);
