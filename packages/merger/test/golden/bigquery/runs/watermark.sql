-- The watermark: the end of the latest window an incremental run merged successfully (NULL before
-- the first). Repair runs (`run --from --to`) are left out: their windows can lie anywhere, and one
-- ending after the watermark would move the next incremental window past late rows it must reread.
SELECT MAX(window_to) AS watermark
FROM `rims_core`.merge_runs
WHERE outcome = 'succeeded' AND mode = 'incremental';
