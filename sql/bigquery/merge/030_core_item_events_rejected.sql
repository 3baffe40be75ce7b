-- Raw -> Rejected: every invalid raw row of the window, once per Pub/Sub message, with the reason.
-- Invalid rows never stop valid ones: they are only ever written here.
-- Parameters: @window_from, @window_to, @merged_at, @run_id, @holder.
MERGE {{core}}.item_events_rejected AS t
USING (
  SELECT * FROM (
    SELECT
      message_id, publish_time, subscription_name,
      {{core}}.item_event_reject_reason(
        specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent
      ) AS reason,
      specversion, id, source, type, subject, time, sequence, datacontenttype,
      TO_JSON(data) AS data, traceparent, attributes
    FROM {{raw}}.item_events
    WHERE publish_time >= @window_from AND publish_time < @window_to
      AND EXISTS (
        SELECT 1 FROM {{core}}.merge_lease
        WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
      )
  )
  WHERE reason IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY publish_time) = 1
) AS s
-- A message keeps its publish_time on redelivery, so the window bounds find every earlier copy.
ON t.message_id = s.message_id AND t.publish_time >= @window_from AND t.publish_time < @window_to
WHEN NOT MATCHED THEN
  INSERT (
    message_id, publish_time, subscription_name, reason, specversion, id, source, type, subject, time,
    sequence, datacontenttype, data, traceparent, attributes, rejected_at, run_id
  )
  VALUES (
    s.message_id, s.publish_time, s.subscription_name, s.reason, s.specversion, s.id, s.source, s.type,
    s.subject, s.time, s.sequence, s.datacontenttype, s.data, s.traceparent, s.attributes, @merged_at, @run_id
  );
