-- Who holds the merge lease, and until when (for the message when a run finds it taken).
SELECT holder, acquired_at, expires_at, expires_at > CURRENT_TIMESTAMP() AS active
FROM {{core}}.merge_lease
WHERE name = 'item-commitment';
