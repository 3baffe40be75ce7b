-- rims_core.merge_lease: who may merge now (see the BigQuery file; the same protocol).
CREATE TABLE IF NOT EXISTS {{core}}.merge_lease (
  name VARCHAR NOT NULL PRIMARY KEY,
  holder VARCHAR NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);

INSERT INTO {{core}}.merge_lease (name, holder, acquired_at, expires_at)
VALUES ('item-commitment', '', TIMESTAMPTZ '1970-01-01 00:00:00+00', TIMESTAMPTZ '1970-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;
