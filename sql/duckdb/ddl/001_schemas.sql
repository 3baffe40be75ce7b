-- The three tiers, as DuckDB schemas (BigQuery datasets in production).
CREATE SCHEMA IF NOT EXISTS {{raw}};
CREATE SCHEMA IF NOT EXISTS {{core}};
CREATE SCHEMA IF NOT EXISTS {{analytics}};
