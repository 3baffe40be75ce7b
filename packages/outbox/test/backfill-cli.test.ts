import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { runCli } from '../src/cli/cli.js';
import { bundledMigrations } from '../src/index.js';
import { STOCK_QUERY, createStock, outboxCli, snapshotCounts, type StockDb } from './stock-app.js';

const database = useTestDatabase({ label: 'backfill_cli' });
const env = () => ({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });

async function snapshotSubjects(): Promise<string[]> {
  const { rows } = await sql<{ subject: string }>`
    SELECT subject FROM rims_outbox.events WHERE type = 'rims.item.snapshot.v1' ORDER BY subject`.execute(
    database.kysely(),
  );
  return rows.map((row) => row.subject);
}

async function clearOutbox(): Promise<void> {
  await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences, rims_outbox.backfill_progress`.execute(
    database.kysely(),
  );
}

beforeAll(async () => {
  await createStock(database.kysely<StockDb>(), 5_000);
});

describe('rims-outbox backfill --query checks', () => {
  const cases: [string, string, RegExp][] = [
    ['an UPDATE', "UPDATE stock_items SET status = 'x' RETURNING *", /--query must be exactly one SELECT/],
    ['two statements', `${STOCK_QUERY}; SELECT 1`, /--query holds more than one statement/],
    [
      'a data-modifying WITH',
      `WITH gone AS (DELETE FROM stock_items RETURNING *) SELECT id AS item_id, status, order_id, sku, quantity, location_id FROM gone`,
      /--query has a data-modifying WITH/,
    ],
    ['FOR UPDATE', `${STOCK_QUERY} FOR UPDATE`, /--query writes or locks rows/],
    ['a $1 parameter', `${STOCK_QUERY} WHERE id = $1`, /--query uses a \$n parameter/],
    [
      'an unknown table',
      'SELECT * FROM no_such_table',
      /--query failed in PostgreSQL: relation "no_such_table" does not exist/,
    ],
    [
      'a missing column',
      'SELECT id AS item_id, status, order_id, sku, location_id FROM stock_items',
      /--query returns no column quantity; return item_id, status, order_id, sku, quantity, location_id/,
    ],
    [
      'an extra column',
      'SELECT id AS item_id, status, order_id, sku, quantity, location_id, 1 AS extra FROM stock_items',
      /--query returns column extra, which a snapshot has no field for/,
    ],
    [
      'a column named twice',
      'SELECT id AS item_id, status, order_id, sku, quantity, location_id, sku FROM stock_items',
      /--query returns column sku more than once/,
    ],
    [
      'a mistyped column',
      'SELECT id AS item_id, status, order_id, sku, quantity::text AS quantity, location_id FROM stock_items',
      /--query returns column quantity as text; a snapshot's quantity is a whole number .*\(quantity::integer\)/,
    ],
    [
      'a timestamp id',
      'SELECT now() AS item_id, status, order_id, sku, quantity, location_id FROM stock_items',
      /--query returns column item_id as timestamp with time zone; .*\(item_id::text\)/,
    ],
  ];
  it.each(cases)(
    'refuses %s, naming the flag or column and the fix, writing nothing',
    async (_, query, message) => {
      const result = await outboxCli(['backfill', '--query', query], env());
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
      expect(await snapshotCounts(database.kysely())).toEqual({ total: 0, items: 0 });
    },
  );

  it('accepts WITH ... SELECT, a trailing semicolon, and integer and uuid columns', async () => {
    const query = `WITH s AS (SELECT * FROM stock_items WHERE id = 'item-0000003')
      SELECT id AS item_id, status, order_id, sku, quantity::smallint AS quantity, location_id FROM s;`;
    const result = await outboxCli(['backfill', '--query', query, '--name', 'with'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await snapshotSubjects()).toEqual(['item-0000003']);
    await clearOutbox();
  });

  it('asks for --query when it is missing, and names a bad --sample or --batch-size', async () => {
    expect(await outboxCli(['backfill'], env())).toMatchObject({ code: 2, stderr: /backfill needs --query/ });
    const sample = await outboxCli(['backfill', '--query', STOCK_QUERY, '--sample', '150%'], env());
    expect(sample).toMatchObject({ code: 2 });
    expect(sample.stderr).toMatch(/--sample: '150%' is not a share of the items/);
    const batch = await outboxCli(['backfill', '--query', STOCK_QUERY, '--batch-size', '0'], env());
    expect(batch.stderr).toMatch(/BACKFILL_BATCH_SIZE \(--batch-size\): must be at least 1/);
  });
});

describe('rims-outbox backfill filters', () => {
  it('--items backfills only the items named', async () => {
    const result = await outboxCli(
      ['backfill', '--query', STOCK_QUERY, '--items', 'item-0000002, item-0000009,no-such-item'],
      env(),
    );
    expect(result.code).toBe(0);
    expect(await snapshotSubjects()).toEqual(['item-0000002', 'item-0000009']);
    await clearOutbox();
  });

  it('--sample picks a deterministic share of the items; another seed picks others', async () => {
    const run = async (seed: string) => {
      const result = await outboxCli(
        [
          'backfill',
          '--query',
          STOCK_QUERY,
          '--sample',
          '10%',
          '--sample-seed',
          seed,
          '--name',
          `sample-${seed}`,
        ],
        env(),
      );
      expect(result.code).toBe(0);
      const subjects = await snapshotSubjects();
      await clearOutbox();
      return subjects;
    };
    const first = await run('1');
    expect(first.length).toBeGreaterThan(5_000 * 0.07);
    expect(first.length).toBeLessThan(5_000 * 0.13);
    expect(await run('1')).toEqual(first);
    const other = await run('2');
    expect(other).not.toEqual(first);
    expect(other.filter((id) => first.includes(id)).length).toBeLessThan(first.length / 2);
  });

  it('--dry-run counts the rows and writes nothing', async () => {
    const result = await outboxCli(
      ['backfill', '--query', STOCK_QUERY, '--dry-run', '--sample', '50%'],
      env(),
    );
    expect(result.code).toBe(0);
    const count = Number(/dry run: (\d+) row\(s\) to backfill/.exec(result.stdout)?.[1]);
    expect(count).toBeGreaterThan(2_000);
    expect(count).toBeLessThan(3_000);
    const written = await sql<{ n: string }>`
      SELECT (SELECT count(*) FROM rims_outbox.events) + (SELECT count(*) FROM rims_outbox.backfill_progress) AS n`.execute(
      database.kysely(),
    );
    expect(Number(written.rows[0]?.n)).toBe(0);
  });

  it('--max-rate holds the pace near the limit', async () => {
    const started = performance.now();
    const result = await outboxCli(
      ['backfill', '--query', `${STOCK_QUERY} WHERE id <= 'item-0001000'`, '--max-rate', '400', '--json'],
      env(),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ enqueued: 1_000 });
    // 1,000 rows at 400 rows/s: the last batch starts after 2.25 s.
    expect(seconds).toBeGreaterThan(2.2);
    expect(seconds).toBeLessThan(10);
    await clearOutbox();
  });
});

describe('rims-outbox backfill rows without what only a commitment has', () => {
  it('snapshots an item that is not committed without sku, quantity or location_id', async () => {
    // An application may keep no sku, quantity or location for an item no order holds.
    const query = `SELECT id AS item_id, status, order_id,
        CASE WHEN status = 'committed' THEN sku END AS sku,
        CASE WHEN status = 'committed' THEN quantity END AS quantity,
        CASE WHEN status = 'committed' THEN location_id END AS location_id
      FROM stock_items WHERE id <= 'item-0000006'`;
    const result = await outboxCli(['backfill', '--query', query, '--json'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ enqueued: 6, invalid: 0, complete: true });
    const { rows } = await sql<{ status: string; fields: string[] }>`
      SELECT data->>'status' AS status, array_agg(DISTINCT key ORDER BY key) AS fields
      FROM rims_outbox.events, jsonb_object_keys(data) AS key
      WHERE type = 'rims.item.snapshot.v1' GROUP BY 1 ORDER BY 1`.execute(database.kysely());
    expect(rows).toEqual([
      { status: 'available', fields: ['item_id', 'status'] },
      { status: 'committed', fields: ['item_id', 'location_id', 'order_id', 'quantity', 'sku', 'status'] },
    ]);
    await clearOutbox();
  });
});

describe('rims-outbox backfill rows the outbox refuses', () => {
  it('names each refused item and field, enqueues the others, and exits 1', async () => {
    const query = `SELECT id AS item_id,
        CASE WHEN id = 'item-0000004' THEN 'reserved' ELSE status END AS status,
        order_id, sku, CASE WHEN id = 'item-0000006' THEN 0 ELSE quantity END AS quantity, location_id
      FROM stock_items WHERE id <= 'item-0000010'`;
    const result = await outboxCli(['backfill', '--query', query, '--json'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/item item-0000004 not snapshotted: data\.status: status must be one of/);
    expect(result.stderr).toMatch(
      /item item-0000006 not snapshotted: data\.quantity: quantity must be at least 1/,
    );
    expect(result.stderr).toMatch(/2 row\(s\) were refused/);
    expect(JSON.parse(result.stdout)).toMatchObject({ enqueued: 8, invalid: 2, complete: true });
    const subjects = await snapshotSubjects();
    expect(subjects).toHaveLength(8);
    expect(subjects).not.toContain('item-0000004');
    const zero = await sql<{ n: string }>`
      SELECT count(*) AS n FROM rims_outbox.subject_sequences WHERE last_sequence = 0`.execute(
      database.kysely(),
    );
    expect(Number(zero.rows[0]?.n), 'no counter left at 0 for the refused items').toBe(0);
    await clearOutbox();
  });
});

describe('rims-outbox backfill progress', () => {
  it('draws a bar with the rate and ETA on a terminal, and logs JSON progress lines otherwise', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    let stderr = '';
    const code = await runCli(
      ['backfill', '--query', STOCK_QUERY, '--batch-size', '1000', '--name', 'bar'],
      { DATABASE_URL: database.url },
      {
        stdout: () => undefined,
        stderr: (text) => (stderr += text),
        onStopSignal: () => undefined,
        progressStream: terminal,
      },
    );
    expect(code).toBe(0);
    expect(drawn).toMatch(/backfill \[[^\]]*\] 5000\/5000 items \| 100% \| \d+ rows\/s \| eta/);
    expect(stderr).not.toContain('backfill progress');
    await clearOutbox();

    const logged = await outboxCli(['backfill', '--query', STOCK_QUERY, '--name', 'logs'], {
      DATABASE_URL: database.url,
    });
    expect(logged.code).toBe(0);
    const last = logged.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'backfill progress')
      .at(-1);
    expect(last).toMatchObject({ read: 5000, total: 5000, enqueued: 5000, last_item_id: 'item-0005000' });
    expect(last?.rows_per_s).toEqual(expect.any(Number));
    expect(last).toHaveProperty('eta_s');
    await clearOutbox();
  });
});

describe('rims-outbox commands', () => {
  it('migrate reports the schema version; --help lists the settings; an unknown command exits 2', async () => {
    const migrated = await outboxCli(['migrate'], env());
    const newest = bundledMigrations().at(-1)?.version;
    expect(migrated).toMatchObject({
      code: 0,
      stdout: `schema rims_outbox is at version ${String(newest)}\n`,
    });
    const help = await outboxCli(['--help'], env());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rims-outbox backfill --query');
    expect(help.stdout).toContain('--max-rate         BACKFILL_MAX_RATE');
    const unknown = await outboxCli(['snapshot'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'snapshot'");
  });
});
