-- What each result column type of the --query is, for the column checks: its name as written in
-- SQL, whether it is an enum, and the built-in type under a domain.
--
-- $1 oid[] the result columns' type oids.
SELECT t.oid::integer AS oid,
       format_type(t.oid, NULL) AS name,
       t.typtype = 'e' AS is_enum,
       coalesce(nullif(t.typbasetype, 0), t.oid)::integer AS base_oid
FROM pg_catalog.pg_type t
WHERE t.oid = ANY($1::oid[])
