-- History -> daily_committed, as a change. daily_committed holds, per UTC day, location and sku,
-- the items and units potentially committed at the end of the day (the state at the day's end as
-- rims_analytics.item_commitment_as_of gives it). Only the items this run touches can change it,
-- and only from the first day their history changes: for each of them, its end-of-day state
-- before (history as it is) and after (the rows 073 writes next, in the same transaction) on each
-- day from that day to @days_through, counted +1 after and -1 before. Each day after @days_prev
-- (the last day held) starts as that day, carried forward. The sums are added to the rows there; a
-- row left with no items is deleted. Cost follows the touched items and their days, never the size
-- of history: it reads their history partitions from @history_from and this run's Core events, as
-- 073 does, and the mart from @days_floor. A rerun finds nothing changed and adds nothing; a run
-- that lost its lease adds nothing (and 073 and 074, fenced the same way, change nothing either).
-- Parameters: @min_time, @max_time, @run_id, @history_from, @holder, @days_prev (midnight of the
-- last day held, NULL when none is), @days_through (midnight of the last day to hold), @days_floor
-- (midnight of the earliest day this can change).
MERGE `rims_analytics`.daily_committed AS t
USING (
  WITH
    current_rows AS (SELECT *
FROM `rims_core`.item_commitment_history
WHERE valid_from >= @history_from
  AND item_id IN (SELECT subject FROM (SELECT subject, sequence, type, data, id, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )))),
    recomputed AS (WITH versions AS (
  SELECT *
  FROM (
    SELECT item_id, version, status, order_id, sku, quantity, location_id, event_id, valid_from
    FROM current_rows
    UNION ALL
    SELECT
      subject,
      sequence,
      `rims_core`.item_status_of(type, JSON_VALUE(data, '$.status')),
      JSON_VALUE(data, '$.order_id'),
      JSON_VALUE(data, '$.sku'),
      CAST(JSON_VALUE(data, '$.quantity') AS INT64),
      JSON_VALUE(data, '$.location_id'),
      id,
      time
    FROM (SELECT subject, sequence, type, data, id, time
FROM `rims_core`.item_events
WHERE time BETWEEN @min_time AND @max_time
  AND (
    run_id = @run_id
    OR run_id NOT IN (SELECT run_id FROM `rims_core`.merge_runs WHERE outcome = 'succeeded')
  )
  AND EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  ))
  )
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id, version ORDER BY event_id DESC) = 1
)
SELECT
  item_id,
  version,
  status,
  order_id,
  IF(status = 'committed', sku, NULL) AS sku,
  IF(status = 'committed', quantity, NULL) AS quantity,
  IF(status = 'committed', location_id, NULL) AS location_id,
  status = 'committed' AS is_potentially_committed,
  event_id,
  valid_from,
  -- A missing version + 1 (a gap) leaves the interval open until that event lands.
  IF(LEAD(version) OVER w = version + 1, LEAD(valid_from) OVER w, NULL) AS valid_to,
  LEAD(version) OVER w IS NULL AS is_current
FROM versions
WINDOW w AS (PARTITION BY item_id ORDER BY version)),
    -- Per item, the first day whose end-of-day state can differ: a new or replaced row from the
    -- earlier of its two starts, a row whose interval gains, loses or moves its end from the
    -- earlier of the two ends. A row that only stops being current changes no day.
    changed AS (
      SELECT
        n.item_id,
        DATE(MIN(
          CASE
            WHEN o.item_id IS NULL THEN n.valid_from
            WHEN n.event_id <> o.event_id THEN LEAST(n.valid_from, o.valid_from)
            ELSE LEAST(COALESCE(n.valid_to, o.valid_to), COALESCE(o.valid_to, n.valid_to))
          END
        )) AS from_day
      FROM recomputed AS n
      LEFT JOIN current_rows AS o ON o.item_id = n.item_id AND o.version = n.version
      WHERE o.item_id IS NULL OR n.event_id <> o.event_id OR n.valid_to IS DISTINCT FROM o.valid_to
      GROUP BY n.item_id
    ),
    days AS (
      SELECT c.item_id, day
      FROM changed AS c, UNNEST(GENERATE_DATE_ARRAY(c.from_day, DATE(@days_through))) AS day
    ),
    -- The row that holds at the end of each of those days, after (+1) and before (-1): of the
    -- rows whose interval spans the day's end, the highest version (a gap leaves an earlier one open).
    ends AS (
      SELECT 1 AS change, d.day, r.is_potentially_committed, r.location_id, r.sku, r.quantity
      FROM days AS d
      JOIN recomputed AS r
        ON r.item_id = d.item_id AND r.valid_from < TIMESTAMP(DATE_ADD(d.day, INTERVAL 1 DAY))
        AND (r.valid_to IS NULL OR r.valid_to >= TIMESTAMP(DATE_ADD(d.day, INTERVAL 1 DAY)))
      WHERE TRUE
      QUALIFY ROW_NUMBER() OVER (PARTITION BY d.item_id, d.day ORDER BY r.version DESC) = 1
      UNION ALL
      SELECT -1 AS change, d.day, r.is_potentially_committed, r.location_id, r.sku, r.quantity
      FROM days AS d
      JOIN current_rows AS r
        ON r.item_id = d.item_id AND r.valid_from < TIMESTAMP(DATE_ADD(d.day, INTERVAL 1 DAY))
        AND (r.valid_to IS NULL OR r.valid_to >= TIMESTAMP(DATE_ADD(d.day, INTERVAL 1 DAY)))
      WHERE TRUE
      QUALIFY ROW_NUMBER() OVER (PARTITION BY d.item_id, d.day ORDER BY r.version DESC) = 1
    ),
    -- Each new day starts as the last day held: no history row begins after that day's end, as
    -- @days_through is never before the latest event time merged (so no state moves in between).
    carried AS (
      SELECT day, h.location_id, h.sku, h.items, h.quantity
      FROM `rims_analytics`.daily_committed AS h,
        UNNEST(GENERATE_DATE_ARRAY(DATE_ADD(DATE(@days_prev), INTERVAL 1 DAY), DATE(@days_through))) AS day
      WHERE h.day = DATE(@days_prev)
    )
  SELECT day, location_id, sku, SUM(added_items) AS items, SUM(added_quantity) AS quantity
  FROM (
    SELECT day, location_id, sku, change AS added_items, change * quantity AS added_quantity
    FROM ends
    WHERE is_potentially_committed
    UNION ALL
    SELECT day, location_id, sku, items AS added_items, quantity AS added_quantity FROM carried
  )
  WHERE EXISTS (
    SELECT 1 FROM `rims_core`.merge_lease
    WHERE name = 'item-commitment' AND holder = @holder AND expires_at > CURRENT_TIMESTAMP()
  )
  GROUP BY day, location_id, sku
  HAVING SUM(added_items) <> 0 OR SUM(added_quantity) <> 0
) AS s
ON t.day >= DATE(@days_floor) AND t.day = s.day AND t.location_id = s.location_id AND t.sku = s.sku
WHEN MATCHED AND t.items + s.items <= 0 THEN
  DELETE
WHEN MATCHED THEN
  UPDATE SET items = t.items + s.items, quantity = t.quantity + s.quantity
WHEN NOT MATCHED AND s.items > 0 THEN
  INSERT (day, location_id, sku, items, quantity) VALUES (s.day, s.location_id, s.sku, s.items, s.quantity);
