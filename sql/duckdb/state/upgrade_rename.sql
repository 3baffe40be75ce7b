-- Provisioning: a State table of a release before the recent/base layout becomes the base; ddl/030
-- then creates recent and the view under the old name, so readers see the same rows.
ALTER TABLE {{core}}.item_commitment_state RENAME TO item_commitment_state_base;
