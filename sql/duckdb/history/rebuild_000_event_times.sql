-- `rims-merger rebuild-history`, before its transaction: the earliest and latest event time in
-- Core (see the BigQuery file).
SELECT min(time) AS first_time, max(time) AS last_time
FROM {{core}}.item_events;
