import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { PG_ERROR, createOutbox, pgErrorCode } from '../src/index.js';
import { committed, storedEvents, type AppDb } from './app-schema.js';

const database = useTestDatabase({ label: 'transaction_concurrency' });
const outbox = createOutbox({ source: '//rims/test' });

describe('outbox.transaction under concurrency', () => {
  it('numbers a subject gaplessly in commit order while both APIs write it at once', async () => {
    const db = database.kysely<AppDb>();
    // Commit order, as readers see it: every snapshot of the subject must hold sequences 1..k, with
    // no hole that a later commit would fill. A reader samples snapshots throughout the writes.
    const snapshots: number[][] = [];
    const state = { writing: true };
    const reader = (async () => {
      while (state.writing) {
        snapshots.push((await storedEvents(db, 'item-mixed')).map((event) => event.sequence));
      }
    })();
    const committedIds: string[] = [];
    const attempts = Array.from({ length: 80 }, async (_, i) => {
      const orderId = `order-${String(i)}`;
      const rolledBack = i % 7 === 6;
      try {
        if (i % 2 === 0) {
          const [row] = await db.transaction().execute(async (trx) => {
            const rows = await outbox.enqueue(trx, committed('item-mixed', orderId));
            await sleep(Math.random() * 4); // holds the subject's lock
            if (rolledBack) throw new Error('rolled back on purpose');
            return rows;
          });
          committedIds.push(row?.id ?? '');
        } else {
          const [id] = await outbox.transaction(db, async (_trx, events) => {
            const ids = events.add(committed('item-mixed', orderId));
            await sleep(Math.random() * 4);
            if (rolledBack) throw new Error('rolled back on purpose');
            return ids;
          });
          committedIds.push(id ?? '');
        }
      } catch (error) {
        if ((error as Error).message !== 'rolled back on purpose') throw error;
      }
    });
    await Promise.all(attempts);
    state.writing = false;
    await reader;

    const prefix = (length: number) => Array.from({ length }, (_, i) => i + 1);
    const stored = await storedEvents(db, 'item-mixed');
    expect(committedIds).toHaveLength(69);
    expect(stored.map((event) => event.sequence)).toEqual(prefix(69));
    expect(new Set(stored.map((event) => event.id))).toEqual(new Set(committedIds));
    expect(snapshots.length).toBeGreaterThan(5);
    for (const seen of snapshots) expect(seen).toEqual(prefix(seen.length));
  });

  it('does not deadlock when transactions add the same subjects in different orders', async () => {
    const db = database.kysely<AppDb>();
    const subjects = ['item-d1', 'item-d2', 'item-d3', 'item-d4'];
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => {
        const order = i % 2 === 0 ? subjects : [...subjects].reverse();
        if (i % 4 === 3) {
          // An enqueue batch among them, holding its locks for a while.
          return db.transaction().execute(async (trx) => {
            await outbox.enqueue(
              trx,
              order.map((subject) => committed(subject)),
            );
            await sleep(2);
          });
        }
        return outbox.transaction(db, async (_trx, events) => {
          for (const subject of order) {
            events.add(committed(subject));
            await sleep(1);
          }
        });
      }),
    );
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
