-- The last day rims_analytics.daily_committed holds (NULL before the first run), as a timestamp at
-- its midnight: a run carries it forward to each later day (072).
SELECT TIMESTAMP(MAX(through_day)) AS through_day
FROM {{core}}.daily_committed_through
WHERE name = 'item-commitment';
