-- rims_analytics.item_commitment_as_of(ts): each item's state at `ts`: its highest version whose
-- interval holds ts (valid_from <= ts < valid_to, or still open). The filter on valid_from is a
-- comparison with the argument, a constant: BigQuery reads only the partitions up to ts.
CREATE OR REPLACE TABLE FUNCTION {{analytics}}.item_commitment_as_of(ts TIMESTAMP) AS
SELECT
  item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
  valid_from, valid_to
FROM {{core}}.item_commitment_history
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts)
-- An interval left open by a gap overlaps the later ones: the highest version wins.
QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY version DESC) = 1;

-- rims_analytics.committed_quantity_by_location_sku: items and units potentially committed now.
CREATE OR REPLACE VIEW {{analytics}}.committed_quantity_by_location_sku
OPTIONS (description = 'Items and quantity potentially committed right now, per location and sku')
AS
SELECT location_id, sku, COUNT(*) AS items, SUM(quantity) AS quantity
FROM {{core}}.item_commitment_state
WHERE is_potentially_committed
GROUP BY location_id, sku;
