-- Generated from @rims/schemas by `pnpm generate` (packages/merger/src/sql-generation). Do not edit.
-- NULL when @rims/schemas accepts the event, else every issue as `path: message; path: message`.
CREATE OR REPLACE FUNCTION `rims_core`.item_event_reject_reason(
  e_specversion STRING,
  e_id STRING,
  e_source STRING,
  e_type STRING,
  e_subject STRING,
  e_time STRING,
  e_sequence STRING,
  e_datacontenttype STRING,
  e_data ANY TYPE,
  e_traceparent STRING
) RETURNS STRING AS (
  CASE
    WHEN e_type IS NULL THEN 'type: is required'
    WHEN e_type NOT IN ('rims.item.committed.v1', 'rims.item.released.v1', 'rims.item.fulfilled.v1', 'rims.item.cancelled.v1', 'rims.item.snapshot.v1', 'rims.pipeline.heartbeat.v1')
      THEN CONCAT('type: ', e_type, ' is not a known RIMS event type (known types: rims.item.committed.v1, rims.item.released.v1, rims.item.fulfilled.v1, rims.item.cancelled.v1, rims.item.snapshot.v1, rims.pipeline.heartbeat.v1)')
    ELSE
NULLIF(RTRIM(CONCAT(
    CONCAT(
      CASE WHEN e_specversion IS NULL THEN 'specversion: is required; ' ELSE '' END,
      CASE WHEN e_specversion <> '1.0' THEN 'specversion: must be 1.0; ' ELSE '' END,
      CASE WHEN e_id IS NULL THEN 'id: is required; ' ELSE '' END,
      CASE WHEN LENGTH(e_id) < 1 THEN 'id: must not be empty; ' ELSE '' END,
      CASE WHEN e_source IS NULL THEN 'source: is required; ' ELSE '' END,
      CASE WHEN LENGTH(e_source) < 1 THEN 'source: must not be empty; ' ELSE '' END,
      CASE WHEN e_subject IS NULL THEN 'subject: is required; ' ELSE '' END,
      CASE WHEN LENGTH(e_subject) < 1 THEN 'subject: must not be empty; ' ELSE '' END,
      CASE WHEN LENGTH(e_subject) > 256 THEN 'subject: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_time IS NULL THEN 'time: is required; ' ELSE '' END,
      CASE WHEN NOT REGEXP_CONTAINS(e_time, r'^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$') THEN 'time: must be an RFC 3339 date-time with a time zone; ' ELSE '' END,
      CASE WHEN e_time IS NOT NULL AND NOT (NOT REGEXP_CONTAINS(e_time, r'^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$')) AND NOT COALESCE(`rims_core`.item_event_time(e_time) BETWEEN TIMESTAMP '0001-01-01 00:00:00+00' AND TIMESTAMP '9999-12-31 23:59:59.999999+00', FALSE) THEN 'time: must be between 0001-01-01 and 9999-12-31 UTC; ' ELSE '' END,
      CASE WHEN e_sequence IS NULL THEN 'sequence: is required; ' ELSE '' END,
      CASE WHEN NOT REGEXP_CONTAINS(e_sequence, r'^[1-9][0-9]{0,17}$') THEN 'sequence: has an invalid format; ' ELSE '' END,
      CASE WHEN e_datacontenttype IS NULL THEN 'datacontenttype: is required; ' ELSE '' END,
      CASE WHEN e_datacontenttype <> 'application/json' THEN 'datacontenttype: must be application/json; ' ELSE '' END,
      CASE WHEN NOT REGEXP_CONTAINS(e_traceparent, r'^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[^\s]*)?$') THEN 'traceparent: has an invalid format; ' ELSE '' END,
      CASE WHEN e_data IS NULL THEN 'data: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) < 1 THEN 'data.item_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) > 256 THEN 'data.item_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) < 1 THEN 'data.order_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) > 256 THEN 'data.order_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.sku IS NULL THEN 'data.sku: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.sku) < 1 THEN 'data.sku: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.sku) > 256 THEN 'data.sku: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.quantity IS NULL THEN 'data.quantity: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.quantity < 1 THEN 'data.quantity: must be at least 1; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.quantity > 9007199254740991 THEN 'data.quantity: must be at most 9007199254740991; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.location_id IS NULL THEN 'data.location_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.location_id) < 1 THEN 'data.location_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND LENGTH(e_data.location_id) > 256 THEN 'data.location_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) < 1 THEN 'data.item_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) > 256 THEN 'data.item_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) < 1 THEN 'data.order_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) > 256 THEN 'data.order_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND e_data.reason IS NULL THEN 'data.reason: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND LENGTH(e_data.reason) < 1 THEN 'data.reason: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND LENGTH(e_data.reason) > 256 THEN 'data.reason: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) < 1 THEN 'data.item_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) > 256 THEN 'data.item_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) < 1 THEN 'data.order_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) > 256 THEN 'data.order_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.shipment_id) < 1 THEN 'data.shipment_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.shipment_id) > 256 THEN 'data.shipment_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) < 1 THEN 'data.item_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) > 256 THEN 'data.item_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) < 1 THEN 'data.order_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) > 256 THEN 'data.order_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND e_data.reason IS NULL THEN 'data.reason: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.reason) < 1 THEN 'data.reason: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND LENGTH(e_data.reason) > 256 THEN 'data.reason: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) < 1 THEN 'data.item_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.item_id) > 256 THEN 'data.item_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status IS NULL THEN 'data.status: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status NOT IN ('committed', 'available', 'fulfilled', 'cancelled') THEN 'data.status: must be one of committed, available, fulfilled, cancelled; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) < 1 THEN 'data.order_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.order_id) > 256 THEN 'data.order_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.sku) < 1 THEN 'data.sku: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.sku) > 256 THEN 'data.sku: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.quantity < 1 THEN 'data.quantity: must be at least 1; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.quantity > 9007199254740991 THEN 'data.quantity: must be at most 9007199254740991; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.location_id) < 1 THEN 'data.location_id: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND LENGTH(e_data.location_id) > 256 THEN 'data.location_id: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status IN ('committed', 'fulfilled', 'cancelled') AND e_data.order_id IS NULL THEN 'data.order_id: is required when status is committed or fulfilled or cancelled; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status IN ('committed') AND e_data.sku IS NULL THEN 'data.sku: is required when status is committed; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status IN ('committed') AND e_data.quantity IS NULL THEN 'data.quantity: is required when status is committed; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status IN ('committed') AND e_data.location_id IS NULL THEN 'data.location_id: is required when status is committed; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND e_data.replica IS NULL THEN 'data.replica: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND LENGTH(e_data.replica) < 1 THEN 'data.replica: must not be empty; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND LENGTH(e_data.replica) > 256 THEN 'data.replica: must be at most 256 characters; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND e_data.sent_at IS NULL THEN 'data.sent_at: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND NOT REGEXP_CONTAINS(e_data.sent_at, r'^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$') THEN 'data.sent_at: must be an RFC 3339 date-time with a time zone; ' ELSE '' END
    ),
    -- zod checks the subject rule only when no field is missing or a wrong literal.
    CASE WHEN CONCAT(
      CASE WHEN e_specversion IS NULL THEN 'specversion: is required; ' ELSE '' END,
      CASE WHEN e_specversion <> '1.0' THEN 'specversion: must be 1.0; ' ELSE '' END,
      CASE WHEN e_id IS NULL THEN 'id: is required; ' ELSE '' END,
      CASE WHEN e_source IS NULL THEN 'source: is required; ' ELSE '' END,
      CASE WHEN e_subject IS NULL THEN 'subject: is required; ' ELSE '' END,
      CASE WHEN e_time IS NULL THEN 'time: is required; ' ELSE '' END,
      CASE WHEN e_sequence IS NULL THEN 'sequence: is required; ' ELSE '' END,
      CASE WHEN e_datacontenttype IS NULL THEN 'datacontenttype: is required; ' ELSE '' END,
      CASE WHEN e_datacontenttype <> 'application/json' THEN 'datacontenttype: must be application/json; ' ELSE '' END,
      CASE WHEN e_data IS NULL THEN 'data: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.sku IS NULL THEN 'data.sku: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.quantity IS NULL THEN 'data.quantity: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.committed.v1' AND e_data IS NOT NULL AND e_data.location_id IS NULL THEN 'data.location_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.released.v1' AND e_data IS NOT NULL AND e_data.reason IS NULL THEN 'data.reason: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.fulfilled.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND e_data.order_id IS NULL THEN 'data.order_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.cancelled.v1' AND e_data IS NOT NULL AND e_data.reason IS NULL THEN 'data.reason: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.item_id IS NULL THEN 'data.item_id: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status IS NULL THEN 'data.status: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.item.snapshot.v1' AND e_data IS NOT NULL AND e_data.status NOT IN ('committed', 'available', 'fulfilled', 'cancelled') THEN 'data.status: must be one of committed, available, fulfilled, cancelled; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND e_data.replica IS NULL THEN 'data.replica: is required; ' ELSE '' END,
      CASE WHEN e_type = 'rims.pipeline.heartbeat.v1' AND e_data IS NOT NULL AND e_data.sent_at IS NULL THEN 'data.sent_at: is required; ' ELSE '' END
    ) = '' THEN CASE
      WHEN e_type IN ('rims.item.committed.v1', 'rims.item.released.v1', 'rims.item.fulfilled.v1', 'rims.item.cancelled.v1', 'rims.item.snapshot.v1') AND e_subject <> e_data.item_id THEN 'subject: must equal data.item_id; '
      WHEN e_type IN ('rims.pipeline.heartbeat.v1') AND e_subject <> CONCAT('heartbeat/', e_data.replica) THEN 'subject: must equal heartbeat/<data.replica>; '
      ELSE '' END ELSE '' END
    ), '; '), '')
  END
);

-- The item status an event results in: eventCatalog[type].status, or its data.status (e_status)
-- for a type that takes its status from its data (the snapshot). NULL for a pipeline event.
CREATE OR REPLACE FUNCTION `rims_core`.item_status_of(e_type STRING, e_status STRING) RETURNS STRING AS (
  CASE e_type
    WHEN 'rims.item.committed.v1' THEN 'committed'
    WHEN 'rims.item.released.v1' THEN 'available'
    WHEN 'rims.item.fulfilled.v1' THEN 'fulfilled'
    WHEN 'rims.item.cancelled.v1' THEN 'cancelled'
    WHEN 'rims.item.snapshot.v1' THEN e_status
  END
);
