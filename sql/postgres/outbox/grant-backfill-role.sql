-- Least privilege for rims-outbox backfill. The role must exist; grant it to the login role the
-- backfill runs as:  CREATE ROLE rims_backfill LOGIN; GRANT rims_outbox_backfill TO rims_backfill;
--
-- It adds snapshots through enqueue_events and enqueue_event (which number them), takes and gives
-- back sequence locks through lock_subjects and forget_unused_subjects (all SECURITY DEFINER: no
-- privilege on the outbox tables themselves), keeps its progress, and reads the migration ledger.
-- Reading the application's tables is granted by the operator, table by table, for the --query it
-- will run:
--   GRANT USAGE ON SCHEMA app TO rims_outbox_backfill;
--   GRANT SELECT ON app.items TO rims_outbox_backfill;
GRANT USAGE ON SCHEMA {{schema}} TO {{backfill_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.enqueue_events(uuid[], text[], text[], jsonb[], timestamptz[], text[], text, text)
  TO {{backfill_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.enqueue_event(uuid, text, text, jsonb, timestamptz, text, text, text)
  TO {{backfill_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.lock_subjects(text[]) TO {{backfill_role}};
GRANT EXECUTE ON FUNCTION {{schema}}.forget_unused_subjects(text[]) TO {{backfill_role}};
GRANT SELECT, INSERT, UPDATE ON {{schema}}.backfill_progress TO {{backfill_role}};
GRANT SELECT ON {{schema}}.schema_migrations TO {{backfill_role}};
