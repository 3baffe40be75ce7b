import { CompiledQuery, type QueryResult } from 'kysely';
import { readSql, renderSql } from '@rims/sql';
import type { LiteralValue } from './sql-literal.js';

const TEMPLATE = readSql('postgres/outbox/enqueue.sql');

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

/** The enqueue statement for one schema, rendered once. */
export function enqueueStatement(schema: string): string {
  return renderSql(TEMPLATE, { schema }, 'postgres');
}

/**
 * The arguments of the enqueue function, in order: one array per event column, then the source and
 * the channel to wake the relay on. Shared by `enqueue` and the enqueue-and-commit message.
 */
export function enqueueParameters(
  rows: readonly EnqueueRow[],
  source: string,
  wakeChannel: string | null,
): LiteralValue[] {
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
 * Inserts a batch with its sequence numbers in one round trip (sql/postgres/outbox/enqueue.sql) and
 * returns `id -> sequence`.
 */
export async function runEnqueue(
  trx: OutboxTransaction,
  statement: string,
  rows: readonly EnqueueRow[],
  source: string,
  wakeChannel: string | null,
): Promise<Map<string, number>> {
  const query = CompiledQuery.raw(statement, enqueueParameters(rows, source, wakeChannel)) as CompiledQuery<{
    id: string;
    sequence: string;
  }>;
  const result = await trx.executeQuery(query);
  return new Map(result.rows.map((row) => [row.id, Number(row.sequence)]));
}
