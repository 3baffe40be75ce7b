-- The last day rims_analytics.daily_committed holds (NULL before the first run): a run carries it
-- forward to each later day (072).
SELECT CAST(max(through_day) AS TIMESTAMPTZ) AS through_day
FROM {{core}}.daily_committed_through
WHERE name = 'item-commitment';
