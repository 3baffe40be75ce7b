-- Whether State's recent changes are due to move into its base (see ddl/030): when recent holds a
-- tenth of base, or $min_rows, whichever is more. Counts come from the tables' metadata.
-- Parameters: $min_rows.
SELECT recent_rows, base_rows, recent_rows >= greatest($min_rows, base_rows // 10) AS due
FROM (
  SELECT
    (SELECT count(*) FROM {{core}}.item_commitment_state_recent) AS recent_rows,
    (SELECT count(*) FROM {{core}}.item_commitment_state_base) AS base_rows
);
