import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { createOutbox, pgErrorCode, PG_ERROR } from '../src/index.js';
import { committed, createItems, storedEvents, type AppDb } from './app-schema.js';

const database = useTestDatabase({ label: 'concurrency' });
const outbox = createOutbox({ source: '//rims/test' });

describe('per-subject sequence under concurrency', () => {
  it('gives 50 concurrent transactions on one subject 1..50, in commit order, skipping rolled-back ones', async () => {
    const db = database.kysely<AppDb>();
    await createItems(db, ['item-hot']);
    const commitOrder: number[] = [];

    const attempts = Array.from({ length: 60 }, (_, i) =>
      db
        .transaction()
        .execute(async (trx) => {
          await trx
            .updateTable('items')
            .set({ status: `s${String(i)}` })
            .where('id', '=', 'item-hot')
            .execute();
          const [row] = await outbox.enqueue(trx, committed('item-hot', `order-${String(i)}`));
          // Hold the lock a little, so transactions really overlap.
          await sleep(Math.random() * 5);
          if (i % 6 === 5) throw new Error('rolled back on purpose');
          return row?.sequence ?? -1;
        })
        .then((sequence) => {
          commitOrder.push(sequence);
        })
        .catch((error: unknown) => {
          if ((error as Error).message !== 'rolled back on purpose') throw error;
        }),
    );
    await Promise.all(attempts);

    const expected = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(commitOrder).toEqual(expected);
    expect((await storedEvents(db, 'item-hot')).map((event) => event.sequence)).toEqual(expected);
  });

  it('never makes one subject wait for another', async () => {
    const db = database.kysely<AppDb>();
    let releaseA: () => void = () => undefined;
    const aHeld = new Promise<void>((resolve) => (releaseA = resolve));
    let aEnqueued: () => void = () => undefined;
    const aReady = new Promise<void>((resolve) => (aEnqueued = resolve));

    const slowA = db.transaction().execute(async (trx) => {
      await outbox.enqueue(trx, committed('item-a'));
      aEnqueued();
      await aHeld;
    });
    await aReady;

    const started = Date.now();
    await db.transaction().execute((trx) => outbox.enqueue(trx, committed('item-b')));
    expect(Date.now() - started).toBeLessThan(1_000);

    let secondA: number | undefined;
    const waitingA = db
      .transaction()
      .execute((trx) => outbox.enqueue(trx, committed('item-a')))
      .then(([row]) => (secondA = row?.sequence));
    await sleep(300);
    expect(secondA, 'a second writer on the same subject waits for the first to commit').toBeUndefined();
    releaseA();
    await Promise.all([slowA, waitingA]);
    expect(secondA).toBe(2);
  });

  it('does not deadlock when batches name the same subjects in different orders', async () => {
    const db = database.kysely<AppDb>();
    const subjects = ['item-d1', 'item-d2', 'item-d3', 'item-d4'];
    const batches = Array.from({ length: 40 }, (_, i) => {
      const order = i % 2 === 0 ? subjects : [...subjects].reverse();
      return db.transaction().execute(async (trx) => {
        const rows = await outbox.enqueue(
          trx,
          order.map((subject) => committed(subject)),
        );
        await sleep(2);
        return rows;
      });
    });
    const results = await Promise.allSettled(batches);
    const deadlocks = results.filter(
      (result) => result.status === 'rejected' && pgErrorCode(result.reason) === PG_ERROR.deadlockDetected,
    );
    expect(deadlocks).toEqual([]);
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    for (const subject of subjects) {
      expect((await storedEvents(db, subject)).map((event) => event.sequence)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    }
  });
});
