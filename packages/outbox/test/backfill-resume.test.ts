import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnNode, waitFor, type NodeProcess } from '@rims/test-harness';
import { useTestDatabase } from '@rims/test-harness/vitest';
import {
  STOCK_QUERY,
  createStock,
  differences,
  outboxCli,
  sequenceGaps,
  snapshotCounts,
  type StockDb,
} from './stock-app.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const ITEMS = 30_000;
const database = useTestDatabase({ label: 'backfill_resume' });
const started: NodeProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((child) => child.stop('SIGKILL')));
});

async function progress(
  name: string,
): Promise<{ read: number; enqueued: number; finished: boolean } | undefined> {
  const { rows } = await sql<{ read: string; enqueued: string; finished_at: Date | null }>`
    SELECT read, enqueued, finished_at FROM rims_outbox.backfill_progress WHERE name = ${name}`.execute(
    database.kysely(),
  );
  const row = rows[0];
  return (
    row && { read: Number(row.read), enqueued: Number(row.enqueued), finished: row.finished_at !== null }
  );
}

function spawnBackfill(name: string, extra: readonly string[] = []): NodeProcess {
  const child = spawnNode(
    BIN,
    ['backfill', '--query', STOCK_QUERY, '--batch-size', '200', '--name', name, ...extra],
    // Warnings only: the --json result is then the only JSON in the output.
    { DATABASE_URL: database.url, LOG_LEVEL: 'warn' },
  );
  started.push(child);
  return child;
}

async function resetOutbox(): Promise<void> {
  await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences, rims_outbox.backfill_progress`.execute(
    database.kysely(),
  );
}

describe('rims-outbox backfill stopped and resumed', () => {
  it('resumes after SIGKILL mid-run without skipping an item; the killed batch left nothing', async () => {
    const db = database.kysely<StockDb>();
    await createStock(db, ITEMS);
    const first = spawnBackfill('crash', ['--max-rate', '5000']);
    await waitFor(async () => ((await progress('crash'))?.read ?? 0) >= 4_000, {
      timeoutMs: 60_000,
      description: 'the backfill to be under way',
    });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // Progress and snapshots commit together: what is saved is exactly what was enqueued.
    const saved = await progress('crash');
    expect(saved?.finished).toBe(false);
    expect(saved?.read).toBeLessThan(ITEMS);
    expect((await snapshotCounts(db)).total).toBe(saved?.enqueued);

    const different = await outboxCli(
      ['backfill', '--query', `${STOCK_QUERY} WHERE true`, '--name', 'crash', '--resume'],
      { DATABASE_URL: database.url },
    );
    expect(different.code).toBe(2);
    expect(different.stderr).toMatch(
      /--resume refused: backfill 'crash' .* was run with a different --query/,
    );

    const resumed = spawnBackfill('crash', ['--resume', '--json']);
    expect(await resumed.exited, resumed.output()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(resumed.output().slice(resumed.output().indexOf('{')))).toMatchObject({
      complete: true,
      total: ITEMS,
      read: ITEMS,
      enqueued: ITEMS,
    });
    expect(await snapshotCounts(db), 'every item once: no item skipped').toEqual({
      total: ITEMS,
      items: ITEMS,
    });
    expect(await sequenceGaps(db)).toEqual([]);

    // Resuming a finished backfill does nothing more.
    const again = await outboxCli(['backfill', '--query', STOCK_QUERY, '--name', 'crash', '--resume'], {
      DATABASE_URL: database.url,
    });
    expect(again.code).toBe(0);
    expect((await snapshotCounts(db)).total).toBe(ITEMS);
  });

  it('finishes the batch in hand on SIGINT, saves progress, exits 3 with a resume hint', async () => {
    const db = database.kysely<StockDb>();
    await resetOutbox();
    const first = spawnBackfill('interrupted', ['--max-rate', '5000']);
    await waitFor(async () => ((await progress('interrupted'))?.read ?? 0) >= 2_000, {
      timeoutMs: 60_000,
      description: 'the backfill to be under way',
    });
    first.child.kill('SIGINT');
    expect(await first.exited).toEqual({ code: 3, signal: null });
    expect(first.output()).toMatch(
      /stopped by SIGINT after item item-\d+: \d+ of 30000 rows done, progress saved as 'interrupted'. Resume with the same command and --resume/,
    );
    const saved = await progress('interrupted');
    expect((await snapshotCounts(db)).total).toBe(saved?.enqueued);

    const resumed = spawnBackfill('interrupted', ['--resume']);
    expect(await resumed.exited, resumed.output()).toEqual({ code: 0, signal: null });
    expect(await snapshotCounts(db)).toEqual({ total: ITEMS, items: ITEMS });
  });

  it('a second full backfill over the same items is harmless: each item gets a later snapshot of the same state', async () => {
    const db = database.kysely<StockDb>();
    const rerun = await outboxCli(['backfill', '--query', STOCK_QUERY, '--name', 'again'], {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
    });
    expect(rerun.code).toBe(0);
    expect(await snapshotCounts(db)).toEqual({ total: 2 * ITEMS, items: ITEMS });
    expect(await sequenceGaps(db)).toEqual([]);
    expect(await differences(db)).toEqual({ items: ITEMS, found: [] });
  });
});
