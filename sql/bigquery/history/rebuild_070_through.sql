-- `rims-merger rebuild-history`: rims_core.daily_committed_through set to @days_through, the last
-- day rebuild_060 wrote, in the same transaction (a run then carries the mart forward from it).
-- Set, not only advanced: the rebuilt mart holds exactly these days. Applies nothing without the
-- merge lease, so one changed row proves the transaction ran under it.
-- Parameters: @days_through, @holder.
MERGE {{core}}.daily_committed_through AS t
USING (
  SELECT 'item-commitment' AS name, DATE(@days_through) AS through_day
  FROM (SELECT 1)
  WHERE EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )
) AS s
ON t.name = s.name
WHEN MATCHED THEN
  UPDATE SET through_day = s.through_day
WHEN NOT MATCHED THEN
  INSERT (name, through_day) VALUES (s.name, s.through_day);
