-- The newest position: `--once` publishes the backlog up to here, then stops.
SELECT coalesce(max(position), 0)::text AS position FROM {{schema}}.events;
