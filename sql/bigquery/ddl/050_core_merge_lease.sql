-- rims_core.merge_lease: who may merge now. Taken with a conditional UPDATE (BigQuery serialises
-- concurrent updates of a table, so two runs cannot both take it) and checked by every MERGE.
CREATE TABLE IF NOT EXISTS {{core}}.merge_lease (
  name STRING NOT NULL,
  holder STRING NOT NULL,
  acquired_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL
)
OPTIONS (description = 'Lease that keeps two rims-merger runs from applying at once');

-- The lease row exists from provisioning on, so taking it is an UPDATE, never a racing INSERT.
INSERT INTO {{core}}.merge_lease (name, holder, acquired_at, expires_at)
SELECT 'item-commitment', '', TIMESTAMP '1970-01-01 00:00:00+00', TIMESTAMP '1970-01-01 00:00:00+00'
FROM (SELECT 1)
WHERE NOT EXISTS (SELECT 1 FROM {{core}}.merge_lease WHERE name = 'item-commitment');
