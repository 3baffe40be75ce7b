-- Example report: how an item got where it is, version by version, from @since (history is
-- partitioned by valid_from: a bound keeps the read to those partitions; TIMESTAMP
-- '0001-01-01 00:00:00+00' reads all of them).
-- Parameters: @item_id, @since.
SELECT version, status, order_id, sku, quantity, location_id, event_id, valid_from, valid_to, is_current
FROM {{core}}.item_commitment_history
WHERE item_id = @item_id AND valid_from >= @since
ORDER BY version;
