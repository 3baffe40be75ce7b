-- The history a full rebuild from Core gives: one row per (item, sequence) of every valid event
-- (on two events claiming one sequence, the higher id), valid_to the time of version + 1 (NULL
-- while current or while version + 1 is missing), is_current on the highest version. What
-- rims_core.item_commitment_history must equal after any sequence of runs; the merge's
-- fragments/history_recomputed.sql is this query restricted to the items a run touches.
-- Reads all of Core by design (a check or a rebuild, never part of a run).
{{fragment:history_rebuilt}};
