-- rims_analytics.potentially_committed_items: items committed to an order right now.
CREATE OR REPLACE VIEW `rims_analytics`.potentially_committed_items
OPTIONS (description = 'RIMS items that are (potentially) committed to an order right now')
AS
SELECT item_id, order_id, sku, quantity, location_id, version, last_event_id, last_event_time, updated_at
FROM `rims_core`.item_commitment_state
WHERE is_potentially_committed;
