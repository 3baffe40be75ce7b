import { CompiledQuery } from 'kysely';
import { readSql, renderSql } from '@rims/sql';
import type { OutboxTransaction } from '../queries/enqueue.js';

/** A backfill's row in `backfill_progress` (migrations/0004_backfill.sql). */
export interface SavedProgress {
  readonly name: string;
  readonly queryHash: string;
  readonly lastItemId: string | null;
  readonly total: number;
  readonly read: number;
  readonly enqueued: number;
  readonly skipped: number;
  readonly invalid: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

/** What one batch did, added to the saved counts in the batch's own transaction. */
export interface BatchCounts {
  readonly lastItemId: string;
  readonly read: number;
  readonly enqueued: number;
  readonly skipped: number;
  readonly invalid: number;
}

interface ProgressRow {
  name: string;
  query_hash: string;
  last_item_id: string | null;
  total: string;
  read: string;
  enqueued: string;
  skipped: string;
  invalid: string;
  started_at: Date;
  finished_at: Date | null;
}

/** Reads and writes a backfill's progress; each method runs one statement on the given connection. */
export interface ProgressStore {
  read(db: OutboxTransaction, name: string): Promise<SavedProgress | undefined>;
  start(db: OutboxTransaction, name: string, queryHash: string, total: number): Promise<void>;
  save(trx: OutboxTransaction, name: string, batch: BatchCounts): Promise<void>;
  finish(db: OutboxTransaction, name: string): Promise<void>;
}

/** The progress statements for one outbox schema, rendered once. */
export function progressStore(schema: string): ProgressStore {
  const statement = (file: string) => renderSql(readSql(`postgres/backfill/${file}`), { schema }, 'postgres');
  const readText = statement('progress-read.sql');
  const startText = statement('progress-start.sql');
  const saveText = statement('progress-save.sql');
  const finishText = statement('progress-finish.sql');
  return {
    async read(db, name) {
      const { rows } = await db.executeQuery<ProgressRow>(CompiledQuery.raw(readText, [name]));
      const row = rows[0];
      if (!row) return undefined;
      return {
        name: row.name,
        queryHash: row.query_hash,
        lastItemId: row.last_item_id,
        total: Number(row.total),
        read: Number(row.read),
        enqueued: Number(row.enqueued),
        skipped: Number(row.skipped),
        invalid: Number(row.invalid),
        startedAt: row.started_at,
        finishedAt: row.finished_at,
      };
    },
    async start(db, name, queryHash, total) {
      await db.executeQuery(CompiledQuery.raw(startText, [name, queryHash, total]));
    },
    async save(trx, name, batch) {
      await trx.executeQuery(
        CompiledQuery.raw(saveText, [
          name,
          batch.lastItemId,
          batch.read,
          batch.enqueued,
          batch.skipped,
          batch.invalid,
        ]),
      );
    },
    async finish(db, name) {
      await db.executeQuery(CompiledQuery.raw(finishText, [name]));
    },
  };
}
