-- `rims-merger rebuild-history`: rims_core.daily_committed_through set to $days_through, the last
-- day rebuild_060 wrote, in the same transaction (see the BigQuery file).
-- Parameters: $days_through, $holder.
MERGE INTO {{core}}.daily_committed_through AS t
USING (
  SELECT 'item-commitment' AS name, CAST($days_through AS DATE) AS through_day
  WHERE EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
  )
) AS s
ON t.name = s.name
WHEN MATCHED THEN
  UPDATE SET through_day = s.through_day
WHEN NOT MATCHED THEN
  INSERT (name, through_day) VALUES (s.name, s.through_day);
