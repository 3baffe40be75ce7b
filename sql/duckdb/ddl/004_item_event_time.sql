-- The event time of a raw row as a TIMESTAMPTZ. The raw `time` column keeps the RFC 3339 text;
-- digits past the sixth are dropped, as BigQuery must. NULL when the text is not a time.
CREATE OR REPLACE MACRO {{core}}.item_event_time(e_time) AS (
  TRY_CAST(regexp_replace(e_time, '(\.\d{6})\d+', '\1') AS TIMESTAMPTZ)
);
