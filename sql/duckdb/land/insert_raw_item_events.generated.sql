-- Generated from @rims/schemas by `pnpm generate` (packages/merger/src/sql-generation). Do not edit.
-- One batch of landed messages: $rows is a JSON array of raw rows, already converted the way the
-- BigQuery subscription converts them (see packages/merger/src/raw-row.ts).
INSERT INTO {{raw}}.item_events (specversion, id, source, type, subject, time, sequence, datacontenttype, data, traceparent, subscription_name, message_id, publish_time, attributes)
SELECT
  row->>'specversion' AS specversion,
  row->>'id' AS id,
  row->>'source' AS source,
  row->>'type' AS type,
  row->>'subject' AS subject,
  row->>'time' AS time,
  row->>'sequence' AS sequence,
  row->>'datacontenttype' AS datacontenttype,
  json_transform(row->'data', '{"item_id":"VARCHAR","order_id":"VARCHAR","sku":"VARCHAR","quantity":"BIGINT","location_id":"VARCHAR","reason":"VARCHAR","shipment_id":"VARCHAR","status":"VARCHAR","replica":"VARCHAR","sent_at":"VARCHAR"}') AS data,
  row->>'traceparent' AS traceparent,
  row->>'subscription_name' AS subscription_name,
  row->>'message_id' AS message_id,
  CAST(row->>'publish_time' AS TIMESTAMPTZ) AS publish_time,
  row->'attributes' AS attributes
FROM (SELECT unnest(CAST($rows AS JSON[])) AS row);
