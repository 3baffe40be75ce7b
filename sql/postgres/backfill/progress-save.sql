-- Records a batch, in the batch's own transaction: the cursor moves only with the snapshots.
--
-- $1 name, $2 last item id of the batch, $3 read, $4 enqueued, $5 skipped, $6 invalid (this batch).
UPDATE {{schema}}.backfill_progress
SET last_item_id = $2,
    read = read + $3,
    enqueued = enqueued + $4,
    skipped = skipped + $5,
    invalid = invalid + $6,
    updated_at = now()
WHERE name = $1
