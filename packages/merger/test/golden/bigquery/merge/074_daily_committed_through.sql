-- Advances rims_core.daily_committed_through to @days_through, in the transaction of 072 (which
-- carried the mart forward to it) and 073: the last day held moves exactly when its rows are
-- written, so no day is ever carried twice. A run that lost its lease changes nothing.
-- Parameters: @days_through, @holder.
MERGE `rims_core`.daily_committed_through AS t
USING (
  SELECT 'item-commitment' AS name, DATE(@days_through) AS through_day
  FROM (SELECT 1)
  WHERE EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )
) AS s
ON t.name = s.name
WHEN MATCHED AND t.through_day < s.through_day THEN
  UPDATE SET through_day = s.through_day
WHEN NOT MATCHED THEN
  INSERT (name, through_day) VALUES (s.name, s.through_day);
