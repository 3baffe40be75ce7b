/**
 * bench/outbox-backfill: how fast `rims-outbox backfill` bootstraps a large application, and what it
 * costs a concurrent writer.
 *
 * `--items` (default 1,000,000) items that predate the outbox are backfilled by the real binary
 * (dist/bin.js, a process of its own as in production, default batch size 500, no rate limit). The
 * run is cut into rounds: in each, a writer (one connection committing UPDATE + `outbox.enqueue` of
 * one event, back to back, on random items) runs `--seconds` alone, then `--seconds` while the
 * backfill runs; the backfill is then stopped with SIGTERM (it finishes its batch and saves its
 * progress) and the next round resumes it with `--resume`, until every item is done. So the baseline
 * (writer alone) and the measurement (writer during the backfill) alternate in the same run, and the
 * ratio of their p50s is taken per round (median, min, max written), as is the backfill's rate.
 *
 * Usage: pnpm bench:outbox-backfill [--items 1000000] [--seconds 10]
 * Writes bench/results/outbox-backfill.json.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { createOutbox } from '@rims/outbox';
import {
  createDatabase,
  dropDatabase,
  droppablePool,
  migrateDatabase,
  resolvePostgres,
  seededRandom,
  spawnNode,
  uniqueDatabaseName,
  waitFor,
  withDatabase,
} from '@rims/test-harness';
import { committedEvent } from './committed-event.js';
import { percentile, ratio, writeResults } from './results.js';

interface Db {
  stock_items: {
    id: string;
    status: string;
    order_id: string | null;
    quantity: number;
    location_id: string | null;
  };
}

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
  },
});
const ITEMS = Number(values.items);
const SECONDS = Number(values.seconds);
const BIN = fileURLToPath(new URL('../packages/outbox/dist/bin.js', import.meta.url));
const QUERY = 'SELECT id AS item_id, status, order_id, sku, quantity, location_id FROM stock_items';

const postgres = await resolvePostgres();
const name = uniqueDatabaseName('bench_outbox_backfill');
await createDatabase(postgres.url, name);
const url = withDatabase(postgres.url, name);
await migrateDatabase(url);
const pool = droppablePool(url, 4);
const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool }) });
const outbox = createOutbox({ source: '//rims/bench', notify: false });

/** The application's items, none with an event: a third committed, the rest available. */
async function createItems(): Promise<void> {
  await sql`
    CREATE TABLE stock_items (
      id text PRIMARY KEY, status text NOT NULL, order_id text, sku text NOT NULL,
      quantity integer NOT NULL, location_id text
    )`.execute(db);
  await sql`
    INSERT INTO stock_items
    SELECT 'item-' || lpad(g::text, 8, '0'),
           CASE WHEN g % 3 = 0 THEN 'committed' ELSE 'available' END,
           CASE WHEN g % 3 = 0 THEN 'order-' || g END,
           'SKU-' || (g % 97), 1 + g % 5,
           CASE WHEN g % 3 = 0 THEN 'store-' || (g % 7) END
    FROM generate_series(1, ${ITEMS}::integer) AS g`.execute(db);
  await sql`ANALYZE stock_items`.execute(db);
}

/** One writer committing a change and its event back to back for `ms`; per-transaction ms. */
async function writeFor(ms: number, random: () => number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const id = `item-${String(1 + Math.floor(random() * ITEMS)).padStart(8, '0')}`;
    const order = `order-w-${String(latencies.length)}`;
    const started = performance.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('stock_items')
        .set({ status: 'committed', order_id: order, quantity: 1, location_id: 'store-1' })
        .where('id', '=', id)
        .execute();
      await outbox.enqueue(trx, committedEvent(id, order));
    });
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function progress(): Promise<{ read: number; finished: boolean }> {
  const { rows } = await sql<{ read: string; finished_at: Date | null }>`
    SELECT read, finished_at FROM rims_outbox.backfill_progress WHERE name = 'bench'`.execute(db);
  return { read: Number(rows[0]?.read ?? 0), finished: rows[0]?.finished_at != null };
}

const summary = (samples: readonly number[]) => ({
  median: percentile(samples, 50),
  min: Math.min(...samples),
  max: Math.max(...samples),
});

try {
  const created = performance.now();
  await createItems();
  console.log(`${String(ITEMS)} items created in ${((performance.now() - created) / 1000).toFixed(1)} s`);
  const random = seededRandom(1);
  const rounds: {
    alone_p50_ms: number;
    during_p50_ms: number;
    ratio: number;
    backfill_rows: number;
    backfill_rows_per_s: number;
  }[] = [];
  let backfillMs = 0;
  const wallStarted = performance.now();
  for (let round = 1; !(await progress()).finished; round++) {
    const alone = await writeFor(SECONDS * 1000, random);
    const before = await progress();
    const backfill = spawnNode(
      BIN,
      ['backfill', '--query', QUERY, '--name', 'bench', ...(round > 1 ? ['--resume'] : [])],
      { DATABASE_URL: url, LOG_LEVEL: 'warn' },
    );
    const started = performance.now();
    const exitedAt = backfill.exited.then(() => performance.now());
    // The round's writer starts once the backfill is enqueueing (past its query check and count).
    await waitFor(async () => (await progress()).read > before.read || backfill.child.exitCode !== null, {
      timeoutMs: 120_000,
      description: 'the backfill to commit its first batch',
    });
    const during = await writeFor(SECONDS * 1000, random);
    const exit = await backfill.stop('SIGTERM');
    const elapsed = (await exitedAt) - started;
    if (exit.code !== 0 && exit.code !== 3) throw new Error(`backfill failed: ${backfill.output()}`);
    backfillMs += elapsed;
    const after = await progress();
    const row = {
      alone_p50_ms: percentile(alone, 50),
      during_p50_ms: percentile(during, 50),
      ratio: ratio(percentile(during, 50), percentile(alone, 50)),
      backfill_rows: after.read - before.read,
      backfill_rows_per_s: Math.round(((after.read - before.read) * 1000) / elapsed),
    };
    rounds.push(row);
    console.log(
      `round ${String(round)}: ${JSON.stringify(row)} (${String(after.read)}/${String(ITEMS)} done)`,
    );
  }
  const { rows } = await sql<{ n: string }>`
    SELECT count(DISTINCT subject) AS n FROM rims_outbox.events WHERE type = 'rims.item.snapshot.v1'`.execute(
    db,
  );
  if (Number(rows[0]?.n) !== ITEMS)
    throw new Error(`only ${String(rows[0]?.n)} of ${String(ITEMS)} items snapshotted`);

  const ratios = rounds.map((round) => round.ratio);
  const rates = rounds.map((round) => round.backfill_rows_per_s);
  writeResults('outbox-backfill', {
    items: ITEMS,
    seconds_per_phase: SECONDS,
    rounds: rounds.length,
    backfill: {
      // The backfill's own time: each round from its start (query check, count on the first) to its stop.
      seconds: Math.round(backfillMs / 100) / 10,
      rows_per_s: Math.round((ITEMS * 1000) / backfillMs),
      // The last round's backfill ran out of rows: its rate is left out unless it is the only one.
      rows_per_s_per_round: summary(rates.length > 1 ? rates.slice(0, -1) : rates),
      wall_seconds_with_writer_phases: Math.round((performance.now() - wallStarted) / 1000),
    },
    writer_p50_ms: {
      alone: summary(rounds.map((round) => round.alone_p50_ms)),
      during_backfill: summary(rounds.map((round) => round.during_p50_ms)),
    },
    ratios: {
      // A concurrent writer's p50 during the backfill over the same writer's p50 alone, per round.
      writer_p50_during_backfill_over_alone: summary(ratios).median,
    },
    ratio_rounds: summary(ratios),
    per_round: rounds,
  });
} finally {
  await db.destroy();
  await dropDatabase(postgres.url, name);
}
