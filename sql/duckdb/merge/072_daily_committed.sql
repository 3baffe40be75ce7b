-- History -> daily_committed, as a change (see the BigQuery file): for each item this run touches,
-- its end-of-day state before (history as it is) and after (the rows 073 writes next, in the same
-- transaction) on each day from the first its new rows can change to $days_through, counted +1
-- after and -1 before; plus, for each day after $days_prev, the last day held carried forward.
-- The sums are added to the rows there; a row left with no items is deleted.
-- Parameters: $min_time, $max_time, $run_id, $history_from, $holder, $days_prev
-- (midnight of the last day held, NULL when none is), $days_through (midnight of the last day to
-- hold), $days_floor (midnight of the earliest day this can change).
MERGE INTO {{analytics}}.daily_committed AS t
USING (
  -- Materialized: each is read several times below, and a scan of history is the dearest step.
  WITH
    current_rows AS MATERIALIZED ({{fragment:history_current}}),
    recomputed AS MATERIALIZED ({{fragment:history_recomputed}}),
    -- Per item, the first day whose end-of-day state can differ: a new or replaced row from the
    -- earlier of its two starts, a row whose interval gains, loses or moves its end from the
    -- earlier of the two ends. A row that only stops being current changes no day.
    changed AS MATERIALIZED (
      SELECT
        n.item_id,
        CAST(min(
          CASE
            WHEN o.item_id IS NULL THEN n.valid_from
            WHEN n.event_id <> o.event_id THEN least(n.valid_from, o.valid_from)
            ELSE least(coalesce(n.valid_to, o.valid_to), coalesce(o.valid_to, n.valid_to))
          END
        ) AS DATE) AS from_day
      FROM recomputed AS n
      LEFT JOIN current_rows AS o ON o.item_id = n.item_id AND o.version = n.version
      WHERE o.item_id IS NULL OR n.event_id <> o.event_id OR n.valid_to IS DISTINCT FROM o.valid_to
      GROUP BY n.item_id
    ),
    days AS (
      SELECT c.item_id, CAST(unnest(generate_series(
        CAST(c.from_day AS TIMESTAMP), CAST($days_through AS TIMESTAMP), INTERVAL 1 DAY
      )) AS DATE) AS day
      FROM changed AS c
    ),
    -- The row that holds at the end of each of those days, after (+1) and before (-1): of the
    -- rows whose interval spans the day's end, the highest version (a gap leaves an earlier one open).
    ends AS (
      SELECT 1 AS change, d.day, r.is_potentially_committed, r.location_id, r.sku, r.quantity
      FROM days AS d
      JOIN recomputed AS r
        ON r.item_id = d.item_id AND r.valid_from < d.day + INTERVAL 1 DAY
        AND (r.valid_to IS NULL OR r.valid_to >= d.day + INTERVAL 1 DAY)
      QUALIFY row_number() OVER (PARTITION BY d.item_id, d.day ORDER BY r.version DESC) = 1
      UNION ALL
      SELECT -1 AS change, d.day, r.is_potentially_committed, r.location_id, r.sku, r.quantity
      FROM days AS d
      JOIN current_rows AS r
        ON r.item_id = d.item_id AND r.valid_from < d.day + INTERVAL 1 DAY
        AND (r.valid_to IS NULL OR r.valid_to >= d.day + INTERVAL 1 DAY)
      QUALIFY row_number() OVER (PARTITION BY d.item_id, d.day ORDER BY r.version DESC) = 1
    ),
    -- Each new day starts as the last day held: no history row begins after that day's end, as
    -- $days_through is never before the latest event time merged (so no state moves in between).
    carried AS (
      SELECT CAST(g.day AS DATE) AS day, h.location_id, h.sku, h.items, h.quantity
      FROM {{analytics}}.daily_committed AS h,
        (SELECT unnest(generate_series(
          CAST($days_prev AS TIMESTAMP) + INTERVAL 1 DAY, CAST($days_through AS TIMESTAMP), INTERVAL 1 DAY
        )) AS day) AS g
      WHERE h.day = CAST($days_prev AS DATE)
    )
  SELECT day, location_id, sku, sum(added_items) AS items, sum(added_quantity) AS quantity
  FROM (
    SELECT day, location_id, sku, change AS added_items, change * quantity AS added_quantity
    FROM ends
    WHERE is_potentially_committed
    UNION ALL
    SELECT day, location_id, sku, items AS added_items, quantity AS added_quantity FROM carried
  )
  WHERE EXISTS (
    SELECT 1 FROM {{core}}.merge_lease
    WHERE name = 'item-commitment' AND holder = $holder AND expires_at > current_timestamp
  )
  GROUP BY day, location_id, sku
  HAVING sum(added_items) <> 0 OR sum(added_quantity) <> 0
) AS s
ON t.day >= CAST($days_floor AS DATE) AND t.day = s.day AND t.location_id = s.location_id AND t.sku = s.sku
WHEN MATCHED AND t.items + s.items <= 0 THEN
  DELETE
WHEN MATCHED THEN
  UPDATE SET items = t.items + s.items, quantity = t.quantity + s.quantity
WHEN NOT MATCHED AND s.items > 0 THEN
  INSERT (day, location_id, sku, items, quantity) VALUES (s.day, s.location_id, s.sku, s.items, s.quantity);
