import { CompiledQuery, type QueryResult } from 'kysely';
import { readSql, renderSql } from '@rims/sql';
import type { LiteralValue } from './sql-literal.js';

const BATCH = readSql('postgres/outbox/enqueue.sql');
const ONE = readSql('postgres/outbox/enqueue-one.sql');

/**
 * The part of a kysely transaction the outbox uses: any `Transaction<YourDb>` fits, whatever your
 * database type is.
 */
export interface OutboxTransaction {
  /** True for a kysely `Transaction`; `enqueue` refuses anything else (it must not commit on its own). */
  readonly isTransaction: boolean;
  /** Runs one compiled statement in the transaction (kysely's own method). */
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** One event ready to insert: validated, with its id chosen and data serialised. */
export interface EnqueueRow {
  id: string;
  subject: string;
  type: string;
  /** `data` as JSON text. */
  data: string;
  /** ISO time, or null for the database clock. */
  time: string | null;
  traceparent: string | null;
}

/** The enqueue statements for one schema, rendered once: for one event, and for a batch. */
export interface EnqueueStatements {
  readonly one: string;
  readonly batch: string;
}

/** Renders the enqueue statements for `schema`. */
export function enqueueStatements(schema: string): EnqueueStatements {
  return { one: renderSql(ONE, { schema }, 'postgres'), batch: renderSql(BATCH, { schema }, 'postgres') };
}

/**
 * The arguments of the enqueue function, in order: the event's columns for one event
 * (`enqueue_event`), one array per column for several (`enqueue_events`), then the source and the
 * channel to wake the relay on. Shared by `enqueue` and the enqueue-and-commit message.
 */
export function enqueueParameters(
  rows: readonly EnqueueRow[],
  source: string,
  wakeChannel: string | null,
): LiteralValue[] {
  const [only] = rows;
  if (rows.length === 1 && only) {
    return [only.id, only.subject, only.type, only.data, only.time, only.traceparent, source, wakeChannel];
  }
  return [
    rows.map((r) => r.id),
    rows.map((r) => r.subject),
    rows.map((r) => r.type),
    rows.map((r) => r.data),
    rows.map((r) => r.time),
    rows.map((r) => r.traceparent),
    source,
    wakeChannel,
  ];
}

/**
 * Inserts events with their sequence numbers in one round trip (sql/postgres/outbox/enqueue-one.sql
 * for one, enqueue.sql for a batch) and returns `id -> sequence`.
 */
export async function runEnqueue(
  trx: OutboxTransaction,
  statements: EnqueueStatements,
  rows: readonly EnqueueRow[],
  source: string,
  wakeChannel: string | null,
): Promise<Map<string, number>> {
  const statement = rows.length === 1 ? statements.one : statements.batch;
  const query = CompiledQuery.raw(statement, enqueueParameters(rows, source, wakeChannel)) as CompiledQuery<{
    id: string;
    sequence: string;
  }>;
  const result = await trx.executeQuery(query);
  return new Map(result.rows.map((row) => [row.id, Number(row.sequence)]));
}
