-- Gives the merge lease back, if still ours. Parameters: @holder.
UPDATE `rims_core`.merge_lease
SET expires_at = CURRENT_TIMESTAMP()
WHERE name = 'item-commitment' AND holder = @holder;
