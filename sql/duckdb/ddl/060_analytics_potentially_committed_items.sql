-- rims_analytics.potentially_committed_items: items committed to an order right now.
CREATE OR REPLACE VIEW {{analytics}}.potentially_committed_items AS
SELECT item_id, order_id, sku, quantity, location_id, version, last_event_id, last_event_time, updated_at
FROM {{core}}.item_commitment_state
WHERE is_potentially_committed;
