import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { createOutbox } from '../src/index.js';
import {
  STOCK_QUERY,
  changeItem,
  createStock,
  differences,
  itemIds,
  outboxCli,
  sequenceGaps,
  snapshotCounts,
  startLiveWriters,
  type StockDb,
} from './stock-app.js';

const database = useTestDatabase({ label: 'backfill_race' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rims-outbox backfill', () => {
  it('bootstraps 50,000 items that predate the outbox, one snapshot each, then live traffic follows them', async () => {
    const db = database.kysely<StockDb>();
    await createStock(db, 50_000);
    const started = performance.now();
    const result = await outboxCli(['backfill', '--query', STOCK_QUERY, '--json'], {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    console.log(`bootstrap: 50,000 items in ${seconds.toFixed(1)} s, ${Math.round(50_000 / seconds)} rows/s`);
    expect(JSON.parse(result.stdout)).toMatchObject({
      complete: true,
      total: 50_000,
      read: 50_000,
      enqueued: 50_000,
      skipped: 0,
      invalid: 0,
    });
    expect(await snapshotCounts(db)).toEqual({ total: 50_000, items: 50_000 });
    const firsts = await sql<{ n: string }>`
      SELECT count(*) AS n FROM rims_outbox.events WHERE type = 'rims.item.snapshot.v1' AND sequence = 1`.execute(
      db,
    );
    expect(Number(firsts.rows[0]?.n), "every snapshot is its item's first event").toBe(50_000);
    // No counter left at 0 by the locks.
    const zero = await sql<{ n: string }>`
      SELECT count(*) AS n FROM rims_outbox.subject_sequences WHERE last_sequence = 0`.execute(db);
    expect(Number(zero.rows[0]?.n)).toBe(0);

    // Live traffic after the bootstrap builds on the snapshots.
    const writers = startLiveWriters(db, itemIds(500), { writers: 4, seed: 7 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await writers.stop()).toBeGreaterThan(0);
    expect(await differences(db)).toEqual({ items: 50_000, found: [] });
    expect(await sequenceGaps(db)).toEqual([]);
  });

  it('never regresses an item while writers change the same items as fast as they can', async () => {
    const db = database.kysely<StockDb>();
    await createStock(db, 0);
    await sql`TRUNCATE stock_items, rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
    // Few items, small batches, a paced backfill and many writers: every batch races live changes.
    const ids = itemIds(1_000);
    await createStock(db, ids.length);
    const writers = startLiveWriters(db, ids, { writers: 6, seed: 42 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await outboxCli(
      [
        'backfill',
        '--query',
        STOCK_QUERY,
        '--batch-size',
        '20',
        '--max-rate',
        '400',
        '--name',
        'race',
        '--json',
      ],
      { DATABASE_URL: database.url, LOG_LEVEL: 'warn' },
    );
    const changes = await writers.stop();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, enqueued: ids.length });
    console.log(`race: ${String(changes)} live changes during the backfill of ${String(ids.length)} items`);

    // The state the outbox implies equals the application's, item by item, and no sequence has a gap.
    expect(await differences(db)).toEqual({ items: ids.length, found: [] });
    expect(await sequenceGaps(db)).toEqual([]);
    expect(await snapshotCounts(db)).toEqual({ total: ids.length, items: ids.length });
    // Enough racing to matter: with the re-read before the lock, this run finds regressed items.
    expect(changes).toBeGreaterThan(ids.length / 4);
  });

  it('steps back from a long live transaction instead of holding up the rest of its batch', async () => {
    const db = database.kysely<StockDb>();
    await createStock(db, 0);
    await sql`TRUNCATE stock_items, rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
    await createStock(db, 50);
    const outbox = createOutbox({ source: '//rims/app', notify: false });
    // A live transaction holds item 12's sequence lock for 7 s.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const long = db.transaction().execute(async (trx) => {
      await sql`UPDATE stock_items SET status = 'fulfilled' WHERE id = 'item-0000012'`.execute(trx);
      await outbox.enqueue(trx, {
        type: 'rims.item.fulfilled.v1',
        subject: 'item-0000012',
        data: { item_id: 'item-0000012', order_id: 'order-12' },
      });
      await held;
    });
    const released = sleep(7_000).then(() => {
      release();
    });
    await sleep(200);
    const backfilling = outboxCli(['backfill', '--query', STOCK_QUERY, '--name', 'long', '--json'], {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
    });
    // The batch locks items 1 to 11, then waits for item 12. A writer of item 5 waits on the batch
    // only until the batch's lock timeout (2 s) sends it back, not until the long transaction ends.
    await sleep(500);
    const started = performance.now();
    await changeItem(db, 'item-0000005', () => 0.5);
    const waited = performance.now() - started;
    await released;
    await long;
    const result = await backfilling;
    expect(result.code, result.stderr).toBe(0);
    expect(waited).toBeLessThan(4_000);
    expect(await differences(db)).toEqual({ items: 50, found: [] });
    expect(await sequenceGaps(db)).toEqual([]);
  });

  it('skips an item deleted while its batch waited for its lock, leaving no counter behind', async () => {
    const db = database.kysely<StockDb>();
    await createStock(db, 0);
    await sql`TRUNCATE stock_items, rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
    await createStock(db, 20);
    const outbox = createOutbox({ source: '//rims/app', notify: false });
    // The application cancels item 9 and deletes its row; its event holds the item's lock meanwhile.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const deleting = db.transaction().execute(async (trx) => {
      await outbox.enqueue(trx, {
        type: 'rims.item.cancelled.v1',
        subject: 'item-0000009',
        data: { item_id: 'item-0000009', order_id: 'order-9', reason: 'gone' },
      });
      await sql`DELETE FROM stock_items WHERE id = 'item-0000009'`.execute(trx);
      await held;
    });
    await sleep(200);
    const backfilling = outboxCli(['backfill', '--query', STOCK_QUERY, '--name', 'deleted', '--json'], {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
    });
    // The batch has read its page (item 9 still there) and waits for item 9's lock.
    await sleep(1_000);
    release();
    await deleting;
    const result = await backfilling;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 20, enqueued: 19, skipped: 1 });
    const item9 = await sql<{ type: string; sequence: string }>`
      SELECT type, sequence FROM rims_outbox.events WHERE subject = 'item-0000009'`.execute(db);
    expect(item9.rows).toEqual([{ type: 'rims.item.cancelled.v1', sequence: '1' }]);
    const zero = await sql<{ n: string }>`
      SELECT count(*) AS n FROM rims_outbox.subject_sequences WHERE last_sequence = 0`.execute(db);
    expect(Number(zero.rows[0]?.n)).toBe(0);
  });
});
