-- Advances rims_core.daily_committed_through to $days_through, in the transaction of 072 and 073
-- (see the BigQuery file). A run that lost its lease changes nothing.
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
WHEN MATCHED AND t.through_day < s.through_day THEN
  UPDATE SET through_day = s.through_day
WHEN NOT MATCHED THEN
  INSERT (name, through_day) VALUES (s.name, s.through_day);
