-- Gives the merge lease back, if still ours. Parameters: $holder.
UPDATE {{core}}.merge_lease
SET expires_at = current_timestamp
WHERE name = 'item-commitment' AND holder = $holder;
