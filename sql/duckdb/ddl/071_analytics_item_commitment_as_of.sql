-- rims_analytics.item_commitment_as_of(ts): each item's state at `ts` (see the BigQuery file).
CREATE OR REPLACE MACRO {{analytics}}.item_commitment_as_of(ts) AS TABLE
SELECT
  item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id,
  valid_from, valid_to
FROM {{core}}.item_commitment_history
WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts)
-- An interval left open by a gap overlaps the later ones: the highest version wins.
QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY version DESC) = 1;

-- rims_analytics.committed_quantity_by_location_sku: items and units potentially committed now.
CREATE OR REPLACE VIEW {{analytics}}.committed_quantity_by_location_sku AS
SELECT location_id, sku, count(*) AS items, sum(quantity) AS quantity
FROM {{core}}.item_commitment_state
WHERE is_potentially_committed
GROUP BY location_id, sku;
