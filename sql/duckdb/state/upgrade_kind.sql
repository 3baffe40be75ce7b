-- Provisioning: what rims_core.item_commitment_state is. A release before the recent/base layout
-- (ddl/030) made it a table, which provisioning renames to item_commitment_state_base.
-- Parameters: $schema.
SELECT table_type
FROM information_schema.tables
WHERE table_schema = $schema AND table_name = 'item_commitment_state';
