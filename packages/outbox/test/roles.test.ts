import { randomBytes } from 'node:crypto';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSql, readSql, renderSql } from '@rims/sql';
import { useTestDatabase } from '@rims/test-harness/vitest';
import {
  OutboxConfigError,
  OutboxRoleMissingError,
  PG_ERROR,
  bundledMigrations,
  createOutbox,
  grantOutboxRoles,
  migrate,
  pgErrorCode,
} from '../src/index.js';
import { committed, type AppDb } from './app-schema.js';

const database = useTestDatabase({ label: 'roles' });
// Roles are cluster-wide: unique names, dropped after the file.
const suffix = randomBytes(3).toString('hex');
const writer = `rims_writer_${suffix}`;
const relay = `rims_relay_${suffix}`;
const outbox = createOutbox({ source: '//rims/test' });

beforeAll(async () => {
  const db = database.kysely<AppDb>();
  await sql`CREATE ROLE ${sql.id(writer)} NOLOGIN`.execute(db);
  await sql`CREATE ROLE ${sql.id(relay)} NOLOGIN`.execute(db);
  await grantOutboxRoles(db, { writerRole: writer, relayRole: relay });
});

afterAll(async () => {
  const db = database.kysely<AppDb>();
  for (const role of [writer, relay]) {
    await sql`DROP OWNED BY ${sql.id(role)}`.execute(db);
    await sql`DROP ROLE ${sql.id(role)}`.execute(db);
  }
});

/** Runs `work` in a transaction as `role`, returning the SQLSTATE it failed with, if any. */
async function as(role: string, work: (trx: Kysely<AppDb>) => Promise<unknown>): Promise<string | undefined> {
  try {
    await database
      .kysely<AppDb>()
      .transaction()
      .execute(async (trx) => {
        await sql`SET LOCAL ROLE ${sql.id(role)}`.execute(trx);
        await work(trx);
      });
    return undefined;
  } catch (error) {
    return pgErrorCode(error) ?? String(error);
  }
}

describe('least-privilege roles', () => {
  it('refuses a role name that is not a plain identifier as a configuration error, granting nothing', async () => {
    await expect(
      grantOutboxRoles(database.kysely(), { writerRole: 'app"; DROP TABLE x; --' }),
    ).rejects.toThrow(OutboxConfigError);
  });

  it('names each missing role and how to create it, granting nothing, when the roles do not exist yet', async () => {
    const db = database.kysely<AppDb>();
    const missing = `rims_missing_${suffix}`;
    const error = await grantOutboxRoles(db, { writerRole: writer, relayRole: missing }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OutboxRoleMissingError);
    expect(error).toMatchObject({ code: 'RIMS_OUTBOX_ROLE_MISSING', roles: [missing] });
    expect((error as Error).message).toBe(
      `role "${missing}" (relayRole) does not exist; create it first, as a role allowed to create roles: CREATE ROLE ${missing} NOLOGIN; then grant it to the relay's login role (GRANT ${missing} TO <login role>)`,
    );

    const both = await grantOutboxRoles(db, { writerRole: `${missing}_w`, relayRole: missing }).catch(
      (caught: unknown) => caught,
    );
    expect(both).toMatchObject({ roles: [`${missing}_w`, missing] });
    expect((both as Error).message).toContain(
      `CREATE ROLE ${missing}_w NOLOGIN; CREATE ROLE ${missing} NOLOGIN`,
    );
  });

  it('lets the writer enqueue but not read, change, delete or directly insert events', async () => {
    expect(await as(writer, (trx) => outbox.enqueue(trx, committed('item-role')))).toBeUndefined();
    expect(
      await as(writer, (trx) => outbox.enqueue(trx, [committed('item-role'), committed('item-role-2')])),
      'a batch',
    ).toBeUndefined();
    expect(await as(writer, (trx) => sql`SELECT * FROM rims_outbox.events`.execute(trx))).toBe(
      PG_ERROR.insufficientPrivilege,
    );
    expect(await as(writer, (trx) => sql`UPDATE rims_outbox.events SET attempts = 1`.execute(trx))).toBe(
      PG_ERROR.insufficientPrivilege,
    );
    expect(await as(writer, (trx) => sql`DELETE FROM rims_outbox.events`.execute(trx))).toBe(
      PG_ERROR.insufficientPrivilege,
    );
    expect(
      await as(writer, (trx) =>
        sql`INSERT INTO rims_outbox.events (id, subject, sequence, type, source, time, data)
                     VALUES (gen_random_uuid(), 'item-role', 99, 't', 's', now(), '{}')`.execute(trx),
      ),
      'a sequence of its own choosing',
    ).toBe(PG_ERROR.insufficientPrivilege);
  });

  it('lets the relay read, mark and delete events but not insert them', async () => {
    expect(
      await as(relay, (trx) =>
        sql`UPDATE rims_outbox.events SET published_at = now() WHERE subject = 'item-role'`.execute(trx),
      ),
    ).toBeUndefined();
    expect(
      await as(relay, (trx) => sql`SELECT version FROM rims_outbox.schema_migrations`.execute(trx)),
    ).toBeUndefined();
    expect(await as(relay, (trx) => sql`UPDATE rims_outbox.events SET data = '{}'`.execute(trx))).toBe(
      PG_ERROR.insufficientPrivilege,
    );
    expect(await as(relay, (trx) => outbox.enqueue(trx, committed('item-role')))).toBe(
      PG_ERROR.insufficientPrivilege,
    );
    expect(
      await as(relay, (trx) => sql`DELETE FROM rims_outbox.events WHERE subject = 'item-role'`.execute(trx)),
    ).toBeUndefined();
  });

  it('lets the relay run every relay query (sql/postgres/relay) and the writer none of the lease tables', async () => {
    // Parameters for each relay query; a new query file must be added here (and granted if needed).
    const params: Record<string, unknown[]> = {
      'acquire-leases.sql': ['role-test', 1000, 2],
      'backlog-stats.sql': [1000],
      'delete-published.sql': [new Date(0), 10],
      'deregister-replica.sql': ['role-test', '00000000-0000-0000-0000-000000000001'],
      'fetch-pending.sql': [[0, 1, 2, 3], [], '9223372036854775807', 10, ['1']],
      'heartbeat-replica.sql': ['role-test', 1000, '00000000-0000-0000-0000-000000000001'],
      'list-dead.sql': [10],
      'live-replicas.sql': [],
      'mark-published.sql': [['1']],
      'mark-waiting.sql': ['role-test'],
      'once-remaining.sql': ['9223372036854775807'],
      'max-position.sql': [],
      'record-failure.sql': ['1', 'an error', true, 5],
      'release-leases.sql': ['role-test', [0, 1]],
      'renew-leases.sql': ['role-test', 1000],
      'replay-batch.sql': [new Date(0), new Date(), '0', '10', 10],
      'replay-count.sql': [new Date(0), new Date()],
      'replay-plan.sql': [new Date(0), null],
      'retry-dead.sql': [null],
      'unmark-waiting.sql': ['role-test'],
      'wake-relays.sql': ['rims_outbox_wake'],
    };
    const files = listSql('postgres/relay');
    expect(files.map((path) => path.split('/').at(-1)).sort()).toEqual(Object.keys(params).sort());
    for (const path of files) {
      const text = renderSql(readSql(path), { schema: 'rims_outbox' }, 'postgres');
      const values = params[path.split('/').at(-1) ?? ''] ?? [];
      expect(
        await as(relay, (trx) => trx.executeQuery(CompiledQuery.raw(text, values))),
        path,
      ).toBeUndefined();
    }
    for (const table of ['relay_leases', 'relay_replicas', 'relay_waiting']) {
      expect(
        await as(writer, (trx) => sql`SELECT * FROM ${sql.table(`rims_outbox.${table}`)}`.execute(trx)),
      ).toBe(PG_ERROR.insufficientPrivilege);
    }
    expect(
      await as(relay, (trx) =>
        sql`INSERT INTO rims_outbox.relay_leases (lease_partition) VALUES (64)`.execute(trx),
      ),
      'the relay cannot add partitions',
    ).toBe(PG_ERROR.insufficientPrivilege);
  });

  it('lets a role an earlier release granted enqueue_events keep enqueueing one event after the upgrade', async () => {
    const db = database.kysely<AppDb>();
    const older = `rims_older_${suffix}`;
    const oneEvent = bundledMigrations().find((m) => m.name === 'enqueue_event');
    expect(oneEvent, 'the migration that added enqueue_event').toBeDefined();
    // The schema as an earlier release left it: without enqueue_event (nor the later migrations'
    // changes), the writer granted what that release's grant-roles.sql granted.
    await migrate(db, { schema: 'upgraded' });
    await sql`DROP FUNCTION upgraded.enqueue_event(uuid, text, text, jsonb, timestamptz, text, text, text)`.execute(
      db,
    );
    await sql`ALTER TABLE upgraded.events DROP COLUMN lease_partition`.execute(db);
    await sql`ALTER TABLE upgraded.subject_sequences DROP COLUMN lease_partition`.execute(db);
    await sql`DELETE FROM upgraded.schema_migrations WHERE version >= ${oneEvent?.version ?? 0}`.execute(db);
    await sql`CREATE ROLE ${sql.id(older)} NOLOGIN`.execute(db);
    try {
      await sql`GRANT USAGE ON SCHEMA upgraded TO ${sql.id(older)}`.execute(db);
      await sql`GRANT EXECUTE ON FUNCTION upgraded.enqueue_events(uuid[], text[], text[], jsonb[], timestamptz[], text[], text, text) TO ${sql.id(older)}`.execute(
        db,
      );

      expect((await migrate(db, { schema: 'upgraded' })).applied).toContain(oneEvent?.version);
      const upgraded = createOutbox({ source: '//rims/test', schema: 'upgraded' });
      expect(await as(older, (trx) => upgraded.enqueue(trx, committed('item-upgraded')))).toBeUndefined();
      expect(
        await as(relay, (trx) => upgraded.enqueue(trx, committed('item-upgraded'))),
        'a role without enqueue_events gets nothing new',
      ).toBe(PG_ERROR.insufficientPrivilege);
    } finally {
      await sql`DROP OWNED BY ${sql.id(older)}`.execute(db);
      await sql`DROP ROLE ${sql.id(older)}`.execute(db);
    }
  });
});
