-- History -> daily_committed: for each UTC day from @days_from to @days_to (the days this run can
-- have changed: from the earliest event time it merged, or the previous watermark, to now), the
-- items and units potentially committed at the end of the day, per location and sku: the state
-- at the day's end as rims_analytics.item_commitment_as_of gives it. A row of those days that no
-- longer holds comes out of the source with no items and is deleted; rows already right are left
-- alone. A run that lost its lease gets an empty source, so it changes (and deletes) nothing.
-- History is read up to the end of @days_to (a constant bound); an interval that began before
-- @days_from can still be open, so earlier partitions are read too (the columns below only).
-- Parameters: @days_from, @days_to (midnight UTC of the first and last day), @days_until (the
-- end of the last day), @holder.
MERGE {{analytics}}.daily_committed AS t
USING (
  SELECT
    COALESCE(n.day, o.day) AS day,
    COALESCE(n.location_id, o.location_id) AS location_id,
    COALESCE(n.sku, o.sku) AS sku,
    COALESCE(n.items, 0) AS items,
    COALESCE(n.quantity, 0) AS quantity
  FROM (
    SELECT day, location_id, sku, COUNT(*) AS items, SUM(quantity) AS quantity
    FROM (
      SELECT day, h.item_id, h.is_potentially_committed, h.location_id, h.sku, h.quantity
      FROM UNNEST(GENERATE_DATE_ARRAY(DATE(@days_from), DATE(@days_to))) AS day
      JOIN {{core}}.item_commitment_history AS h
        ON h.valid_from < TIMESTAMP(DATE_ADD(day, INTERVAL 1 DAY))
        AND (h.valid_to IS NULL OR h.valid_to >= TIMESTAMP(DATE_ADD(day, INTERVAL 1 DAY)))
      WHERE h.valid_from < @days_until
      -- An interval left open by a gap overlaps the later ones: the highest version wins.
      QUALIFY ROW_NUMBER() OVER (PARTITION BY day, h.item_id ORDER BY h.version DESC) = 1
    )
    WHERE is_potentially_committed
    GROUP BY day, location_id, sku
  ) AS n
  FULL OUTER JOIN (
    SELECT day, location_id, sku
    FROM {{analytics}}.daily_committed
    WHERE day BETWEEN DATE(@days_from) AND DATE(@days_to)
  ) AS o
    ON n.day = o.day AND n.location_id = o.location_id AND n.sku = o.sku
  WHERE EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )
) AS s
ON t.day BETWEEN DATE(@days_from) AND DATE(@days_to)
  AND t.day = s.day AND t.location_id = s.location_id AND t.sku = s.sku
WHEN MATCHED AND s.items = 0 THEN
  DELETE
WHEN MATCHED AND (t.items <> s.items OR t.quantity <> s.quantity) THEN
  UPDATE SET items = s.items, quantity = s.quantity
WHEN NOT MATCHED AND s.items > 0 THEN
  INSERT (day, location_id, sku, items, quantity) VALUES (s.day, s.location_id, s.sku, s.items, s.quantity);
