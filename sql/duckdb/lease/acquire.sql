-- Takes the merge lease when it is free, expired or already ours. One row changed: taken; none:
-- another run holds it. A run renews it mid-run with renew.sql. Parameters: $holder, $ttl_seconds.
UPDATE {{core}}.merge_lease
SET
  acquired_at = CASE WHEN holder = $holder THEN acquired_at ELSE current_timestamp END,
  holder = $holder,
  expires_at = current_timestamp + to_seconds($ttl_seconds)
WHERE name = 'item-commitment' AND (holder = $holder OR expires_at <= current_timestamp);
