-- The event time of a raw row as a TIMESTAMP. The raw `time` column keeps the RFC 3339 text (see
-- README.md); BigQuery stores microseconds, so digits past the sixth are dropped before parsing.
-- NULL when the text is not a time BigQuery can store.
CREATE OR REPLACE FUNCTION {{core}}.item_event_time(e_time STRING) RETURNS TIMESTAMP AS (
  SAFE.TIMESTAMP(REGEXP_REPLACE(e_time, r'(\.\d{6})\d+', r'\1'))
);
