-- Example report: per day of the month holding @month and per location, the items and units
-- potentially committed at the end of the day. Reads only that month's partitions.
-- Parameters: @month (any time in the month, such as the first of last month).
SELECT day, location_id, SUM(items) AS items, SUM(quantity) AS quantity
FROM {{analytics}}.daily_committed
WHERE day >= DATE_TRUNC(DATE(@month), MONTH)
  AND day < DATE_ADD(DATE_TRUNC(DATE(@month), MONTH), INTERVAL 1 MONTH)
GROUP BY day, location_id
ORDER BY day, location_id;
