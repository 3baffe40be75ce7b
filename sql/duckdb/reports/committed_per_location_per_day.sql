-- Example report: per day of the month holding $month and per location, the items and units
-- potentially committed at the end of the day.
-- Parameters: $month (any time in the month, such as the first of last month).
SELECT day, location_id, sum(items) AS items, sum(quantity) AS quantity
FROM {{analytics}}.daily_committed
WHERE day >= date_trunc('month', CAST($month AS DATE))
  AND day < date_trunc('month', CAST($month AS DATE)) + INTERVAL 1 MONTH
GROUP BY day, location_id
ORDER BY day, location_id;
