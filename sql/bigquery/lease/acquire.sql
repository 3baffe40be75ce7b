-- Takes the merge lease when it is free, expired or already ours. One row changed: taken; none:
-- another run holds it. A run renews it mid-run with renew.sql. Parameters: @holder, @ttl_seconds.
UPDATE {{core}}.merge_lease
SET
  acquired_at = IF(holder = @holder, acquired_at, CURRENT_TIMESTAMP()),
  holder = @holder,
  expires_at = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL @ttl_seconds SECOND)
WHERE name = 'item-commitment' AND (holder = @holder OR expires_at <= CURRENT_TIMESTAMP());
