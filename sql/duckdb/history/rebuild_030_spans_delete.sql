-- `rims-merger rebuild-history`: empties the history spans, which rebuild_040 fills again.
-- Parameters: $holder.
DELETE FROM {{core}}.item_history_spans
WHERE EXISTS (
  SELECT 1 FROM {{core}}.merge_lease
  WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
);
