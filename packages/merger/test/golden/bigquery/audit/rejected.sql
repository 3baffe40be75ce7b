-- Rejected rows of the audit window, counted by reason. Parameters: @audit_from, @audit_to, @limit.
SELECT reason, COUNT(*) AS messages, MIN(publish_time) AS first_publish_time
FROM `rims_core`.item_events_rejected
WHERE publish_time >= @audit_from AND publish_time < @audit_to
GROUP BY reason
ORDER BY messages DESC, reason
LIMIT @limit;
