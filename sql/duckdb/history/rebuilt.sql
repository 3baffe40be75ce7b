-- The history a full rebuild from Core gives (see the BigQuery file): what
-- rims_core.item_commitment_history must equal after any sequence of runs.
{{fragment:history_rebuilt}};
