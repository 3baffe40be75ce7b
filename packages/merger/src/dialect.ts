/** The warehouse SQL dialects: BigQuery in production, DuckDB locally. */
export type Dialect = 'bigquery' | 'duckdb';
