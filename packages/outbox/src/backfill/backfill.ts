// Past 300 lines on purpose: runBackfill and the batch, resume and retry helpers only it uses; the
// SQL is in sql/postgres/backfill, the progress store in its own module.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { readSql, renderSql } from '@rims/sql';
import { BackfillResumeError, OutboxConfigError } from '../errors.js';
import { createOutbox, type Outbox } from '../outbox.js';
import type { OutboxTransaction } from '../queries/enqueue.js';
import { PG_ERROR, pgErrorCode } from '../postgres-errors.js';
import { outboxSchemaName } from '../schema-name.js';
import { progressStore, type BatchCounts, type ProgressStore, type SavedProgress } from './progress-store.js';
import { describeQuery, normaliseQuery, withQuery } from './query.js';
import { enqueueSnapshots, type InvalidItem, type SnapshotRow } from './snapshot-events.js';

/** Options of {@link runBackfill}. */
export interface BackfillOptions {
  /** A pool on the application's database, as the backfill role; the caller ends it. */
  pool: pg.Pool;
  /** One SELECT returning item_id, status, order_id, sku, quantity and location_id. */
  query: string;
  /** Schema holding the outbox tables; default `rims_outbox`. */
  schema?: string;
  /** CloudEvents `source` of the snapshots; default `//rims/outbox-backfill`. */
  source?: string;
  /** The progress record's name, so separate backfills can be resumed separately; default `default`. */
  name?: string;
  /** Items per batch, each one transaction; default 500. */
  batchSize?: number;
  /** Most rows per second; default unlimited. Batches are cut to at most one second's rows. */
  maxRate?: number;
  /** Only these item ids (as text). */
  items?: readonly string[];
  /**
   * A deterministic sample: the items whose item_id hashes (with `seed`, default 0) below
   * `fraction` of the hash range. The same seed picks the same items; change it to pick others.
   */
  sample?: { fraction: number; seed?: number };
  /** Continue the saved backfill of this name, which must have the same query and filters. */
  resume?: boolean;
  /** Count the rows only; write nothing. */
  dryRun?: boolean;
  /** Stops after the batch in hand (committed, progress saved); the result is then incomplete. */
  signal?: AbortSignal;
  /** Called after each committed batch (and once at the start). */
  onProgress?: (progress: BackfillProgress) => void;
  /** Called for each row the outbox refused (its item and the fields named). */
  onInvalid?: (item: InvalidItem) => void;
}

/** Where a backfill stands; counts include earlier runs of a resumed backfill. */
export interface BackfillProgress {
  /** Rows the query covers (after the filters), counted when the backfill started. */
  readonly total: number;
  /** Rows read, snapshots enqueued, items gone at re-read, rows the outbox refused. */
  readonly read: number;
  readonly enqueued: number;
  readonly skipped: number;
  readonly invalid: number;
  /** The last item of the last committed batch; null before the first. */
  readonly lastItemId: string | null;
  /** Rows read and milliseconds spent by this run (not earlier ones), for its rate. */
  readonly readThisRun: number;
  readonly elapsedMs: number;
}

/** What {@link runBackfill} did. */
export interface BackfillResult extends BackfillProgress {
  /** True when every row was done (or, with `dryRun`, counted); false when stopped by `signal`. */
  readonly complete: boolean;
  readonly dryRun: boolean;
  /** The item a resumed run started after (null: from the beginning). */
  readonly resumedAfter: string | null;
}

const SAMPLE_RANGE = 1 << 20; // page.sql keeps the low 20 bits of the hash
const MAX_ATTEMPTS = 10;
/** How long a batch waits for one item's lock before it is rolled back and retried (lock-timeout.sql). */
const LOCK_TIMEOUT = '2s';

/**
 * Enqueues one `rims.item.snapshot.v1` per row of `query`, by item_id, a batch per transaction.
 * Each batch locks its subjects' sequence counters as enqueue does, then reads the rows again in a
 * new statement: a concurrent change either committed first and is in the snapshot, or gets the
 * next sequence after it. Never regresses an item under live writes.
 *
 * @throws {BackfillQueryError} when the query is not one SELECT of the snapshot columns
 * @throws {BackfillResumeError} when `resume` finds no saved backfill, or one of another query
 * @example
 * const result = await runBackfill({
 *   pool,
 *   query: 'SELECT id AS item_id, status, order_id, sku, quantity, location_id FROM items',
 * });
 * console.log(`${String(result.enqueued)} snapshots enqueued`);
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const schema = outboxSchemaName(options.schema);
  const name = options.name ?? 'default';
  const batchSize = positive(options.batchSize ?? 500, 'batchSize');
  const maxRate = options.maxRate === undefined ? undefined : positive(options.maxRate, 'maxRate');
  const query = normaliseQuery(options.query);
  const filters = filterParams(options);
  const outbox = createOutbox({ source: options.source ?? '//rims/outbox-backfill', schema });
  const store = progressStore(schema);
  // The caller's pool: never destroyed here (that would end the pool).
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: options.pool }) });
  const sql = {
    count: withQuery('count.sql', query),
    page: withQuery('page.sql', query),
    reread: withQuery('reread.sql', query),
    lockTimeout: readSql('postgres/backfill/lock-timeout.sql'),
    lock: renderSql(readSql('postgres/backfill/lock-subjects.sql'), { schema }, 'postgres'),
    forget: renderSql(readSql('postgres/backfill/forget-unused-subjects.sql'), { schema }, 'postgres'),
  };

  const client = await options.pool.connect();
  try {
    await describeQuery(client, query);
  } finally {
    client.release();
  }

  const queryHash = createHash('sha256')
    .update(JSON.stringify({ query, items: options.items ?? null, sample: options.sample ?? null }))
    .digest('hex');
  const startedAt = Date.now();
  let saved: SavedProgress | undefined;
  if (options.resume === true) {
    saved = await store.read(db, name);
    checkResumable(saved, name, queryHash);
  }
  const cursorAtStart = saved?.lastItemId ?? null;
  let total = saved?.total ?? 0;
  if (options.dryRun === true || saved === undefined) {
    const { rows } = await db.executeQuery<{ n: string }>(
      CompiledQuery.raw(sql.count, [cursorAtStart, ...filters]),
    );
    const remaining = Number(rows[0]?.n ?? 0);
    if (options.dryRun === true) {
      return {
        ...counts(saved),
        total: (saved?.read ?? 0) + remaining,
        lastItemId: cursorAtStart,
        readThisRun: 0,
        elapsedMs: Date.now() - startedAt,
        complete: true,
        dryRun: true,
        resumedAfter: cursorAtStart,
      };
    }
    await store.start(db, name, queryHash, remaining);
    total = remaining;
  }

  let state: BackfillProgress = {
    ...counts(saved),
    total,
    lastItemId: cursorAtStart,
    readThisRun: 0,
    elapsedMs: 0,
  };
  const report = () => {
    state = { ...state, elapsedMs: Date.now() - startedAt };
    options.onProgress?.(state);
  };
  report();

  // With a rate limit, a batch holds at most one second's rows, so the pace stays even.
  const pageSize = maxRate === undefined ? batchSize : Math.max(1, Math.min(batchSize, Math.floor(maxRate)));
  let complete = saved?.finishedAt != null;
  while (!complete && options.signal?.aborted !== true) {
    const batch = await withRetry(() =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) =>
          backfillBatch(trx, { sql, outbox, store, name, filters, pageSize }, state.lastItemId),
        ),
    );
    // Reported once committed: a batch retried after a deadlock would report its rows twice.
    for (const item of batch?.invalidItems ?? []) options.onInvalid?.(item);
    if (batch === undefined) {
      await store.finish(db, name);
      complete = true;
      break;
    }
    state = {
      ...state,
      lastItemId: batch.lastItemId,
      read: state.read + batch.read,
      enqueued: state.enqueued + batch.enqueued,
      skipped: state.skipped + batch.skipped,
      invalid: state.invalid + batch.invalid,
      readThisRun: state.readThisRun + batch.read,
    };
    report();
    if (maxRate !== undefined) {
      const due = startedAt + (state.readThisRun / maxRate) * 1000;
      const wait = due - Date.now();
      if (wait > 0)
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : {}).catch(ignoreAbort);
    }
  }
  report();
  return { ...state, complete, dryRun: false, resumedAfter: cursorAtStart };
}

/** What a batch needs, prepared once per run. */
interface BatchContext {
  readonly sql: Record<'page' | 'lockTimeout' | 'lock' | 'reread' | 'forget', string>;
  readonly outbox: Outbox;
  readonly store: ProgressStore;
  readonly name: string;
  readonly filters: readonly unknown[];
  readonly pageSize: number;
}

/**
 * One batch, in the caller's READ COMMITTED transaction: the next page of ids after `cursor`, their
 * sequence locks, the rows read again, the snapshots enqueued, the progress saved. Undefined when
 * no row is left.
 */
async function backfillBatch(
  trx: OutboxTransaction,
  context: BatchContext,
  cursor: string | null,
): Promise<(BatchCounts & { invalidItems: InvalidItem[] }) | undefined> {
  const { sql } = context;
  const page = await trx.executeQuery<{ item_id: string }>(
    CompiledQuery.raw(sql.page, [cursor, ...context.filters, context.pageSize]),
  );
  const ids = page.rows.map((row) => row.item_id);
  const last = ids.at(-1);
  if (last === undefined) return undefined;
  await trx.executeQuery(CompiledQuery.raw(sql.lockTimeout, [LOCK_TIMEOUT]));
  // Lock first, read after: the statement below sees every change committed before the locks
  // were granted, and any later change numbers itself after this snapshot.
  await trx.executeQuery(CompiledQuery.raw(sql.lock, [ids]));
  const { rows } = await trx.executeQuery<SnapshotRow>(CompiledQuery.raw(sql.reread, [ids]));
  const { enqueued, invalid } = await enqueueSnapshots(context.outbox, trx, rows);
  if (enqueued.length < ids.length) {
    const done = new Set(enqueued);
    await trx.executeQuery(CompiledQuery.raw(sql.forget, [ids.filter((id) => !done.has(id))]));
  }
  const counted = {
    lastItemId: last,
    read: ids.length,
    enqueued: enqueued.length,
    skipped: ids.length - rows.length,
    invalid: invalid.length,
  };
  await context.store.save(trx, context.name, counted);
  return { ...counted, invalidItems: invalid };
}

/** The filter parameters of count.sql and page.sql: items, sample seed, sample threshold. */
function filterParams(options: BackfillOptions): [string[] | null, number | null, number | null] {
  const items = options.items === undefined ? null : [...options.items];
  if (items?.length === 0)
    throw new OutboxConfigError('items is empty; pass at least one item id, or leave it out');
  const sample = options.sample;
  if (sample === undefined) return [items, null, null];
  if (!(sample.fraction > 0 && sample.fraction <= 1)) {
    throw new OutboxConfigError(
      `sample.fraction ${String(sample.fraction)} is out of range; use a fraction above 0 and at most 1, such as 0.01 for 1%`,
    );
  }
  return [items, sample.seed ?? 0, Math.max(1, Math.round(sample.fraction * SAMPLE_RANGE))];
}

function positive(value: number, what: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new OutboxConfigError(`${what} ${String(value)} is not a positive number; pass one above 0`);
  }
  return value;
}

function counts(saved: SavedProgress | undefined) {
  return {
    read: saved?.read ?? 0,
    enqueued: saved?.enqueued ?? 0,
    skipped: saved?.skipped ?? 0,
    invalid: saved?.invalid ?? 0,
  };
}

function checkResumable(
  saved: SavedProgress | undefined,
  name: string,
  queryHash: string,
): asserts saved is SavedProgress {
  if (saved === undefined) {
    throw new BackfillResumeError(
      `--resume found no backfill named '${name}' to resume; run without --resume to start it (or pass the --name it was started with)`,
    );
  }
  if (saved.queryHash !== queryHash) {
    throw new BackfillResumeError(
      `--resume refused: backfill '${name}' (started ${saved.startedAt.toISOString()}) was run with a different --query, --items or --sample; pass exactly the same ones to resume it, or leave out --resume to start over`,
    );
  }
}

/**
 * Runs a batch again when PostgreSQL chose it as a deadlock victim or it waited too long for a lock
 * (a live transaction locking items one by one, or a long one): nothing of it was committed.
 */
async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = pgErrorCode(error);
      const retryable =
        code === PG_ERROR.deadlockDetected ||
        code === PG_ERROR.serializationFailure ||
        code === PG_ERROR.lockNotAvailable;
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
      await sleep(100 * attempt);
    }
  }
}

/** The pause before the next batch ends early on a stop signal: that is how it is meant to end. */
function ignoreAbort(): void {
  // Nothing to do: the loop sees the aborted signal and stops.
}
