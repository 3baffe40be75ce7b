-- `rims-merger rebuild-history`, before its transaction: the earliest and latest event time in
-- Core, the first and last day the rebuilt daily_committed can hold. Reads Core's time column in
-- full by design (a rebuild reads all of Core; this column is its smallest part).
SELECT MIN(time) AS first_time, MAX(time) AS last_time
FROM `rims_core`.item_events;
