-- `rims-merger rebuild-history`: per item, the earliest valid_from of its rebuilt history (the
-- lower bound a run's history rewrite reads, merge/071). Reads the history rebuild_020 wrote, in
-- the same transaction. Applies nothing without the merge lease. Parameters: @holder.
INSERT INTO {{core}}.item_history_spans (item_id, first_valid_from, item_bucket)
SELECT item_id, MIN(valid_from), ANY_VALUE({{core}}.item_bucket(item_id))
FROM {{core}}.item_commitment_history
WHERE EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
)
GROUP BY item_id;
