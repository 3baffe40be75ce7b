import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { OutboxRoleMissingError, PG_ERROR, grantBackfillRole, pgErrorCode } from '../src/index.js';
import { STOCK_QUERY, createStock, outboxCli, snapshotCounts, type StockDb } from './stock-app.js';

const database = useTestDatabase({ label: 'backfill_role' });
// Roles are cluster-wide: a unique name, dropped after the file.
const role = `rims_backfill_${randomBytes(3).toString('hex')}`;

/** The test database's URL, logging in as the backfill role. */
function roleUrl(): string {
  const url = new URL(database.url);
  url.username = role;
  return url.toString();
}

beforeAll(async () => {
  const db = database.kysely<StockDb>();
  await createStock(db, 1_000);
  await sql`CREATE TABLE payroll (id text PRIMARY KEY, salary integer)`.execute(db);
  await sql`CREATE ROLE ${sql.id(role)} LOGIN`.execute(db);
  await grantBackfillRole(db, { role });
  // The operator's grant for the query it will run (README, "Backfill role").
  await sql`GRANT SELECT ON stock_items TO ${sql.id(role)}`.execute(db);
});

afterAll(async () => {
  const db = database.kysely<StockDb>();
  await sql`DROP OWNED BY ${sql.id(role)}`.execute(db);
  await sql`DROP ROLE ${sql.id(role)}`.execute(db);
});

/** Runs `work` in a transaction as the role, returning the SQLSTATE it failed with, if any. */
async function asRole(work: (trx: Kysely<StockDb>) => Promise<unknown>): Promise<string | undefined> {
  try {
    await database
      .kysely<StockDb>()
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

describe('the backfill role', () => {
  it('names the role and the CREATE ROLE to run when it does not exist', async () => {
    await expect(grantBackfillRole(database.kysely(), { role: `${role}_missing` })).rejects.toThrow(
      OutboxRoleMissingError,
    );
  });

  it('runs a backfill as that role alone', async () => {
    const result = await outboxCli(['backfill', '--query', STOCK_QUERY], {
      DATABASE_URL: roleUrl(),
      LOG_LEVEL: 'warn',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await snapshotCounts(database.kysely())).toEqual({ total: 1_000, items: 1_000 });
  });

  it('cannot read tables it was not granted, nor read, change or delete events and counters', async () => {
    const refused = await outboxCli(
      [
        'backfill',
        '--query',
        'SELECT id AS item_id, status, order_id, sku, quantity, location_id FROM stock_items JOIN payroll USING (id)',
      ],
      { DATABASE_URL: roleUrl() },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /--query reads a table the backfill's role may not read .*permission denied for table payroll.*GRANT SELECT/,
    );

    for (const statement of [
      sql`SELECT * FROM rims_outbox.events`,
      sql`DELETE FROM rims_outbox.events`,
      sql`UPDATE rims_outbox.subject_sequences SET last_sequence = 1`,
      sql`DELETE FROM rims_outbox.backfill_progress`,
      sql`UPDATE stock_items SET status = 'x'`,
      sql`SELECT * FROM payroll`,
    ]) {
      expect(await asRole((trx) => statement.execute(trx))).toBe(PG_ERROR.insufficientPrivilege);
    }
  });
});
