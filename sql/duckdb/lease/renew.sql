-- Extends the merge lease only while it is ours and has not expired. One row changed: still held;
-- none: it lapsed (or another run took it), so the MERGEs since the last renewal may have applied
-- nothing (their fencing saw no live lease) and the run must not be recorded as succeeded.
-- Unlike acquire.sql it never re-takes an expired lease: that would hide the lapse.
-- Parameters: $holder, $ttl_seconds.
UPDATE {{core}}.merge_lease
SET expires_at = current_timestamp + to_seconds($ttl_seconds)
WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp;
