import { CompiledQuery } from 'kysely';
import { readSql, renderSql } from '@rims/sql';
import { enqueueParameters, type EnqueueRow } from './enqueue.js';
import { inlineLiterals, literalTemplate, type LiteralTemplate } from './sql-literal.js';

const BATCH = readSql('postgres/outbox/enqueue-and-commit.sql');
const ONE = readSql('postgres/outbox/enqueue-one-and-commit.sql');

/** The enqueue-and-commit statements for one schema, for one event and for a batch. */
export interface EnqueueAndCommitStatements {
  readonly one: LiteralTemplate;
  readonly batch: LiteralTemplate;
}

/** The enqueue-and-commit statements for `schema`, their values still placeholders; prepared once. */
export function enqueueAndCommitStatements(schema: string): EnqueueAndCommitStatements {
  return {
    one: literalTemplate(renderSql(ONE, { schema }, 'postgres')),
    batch: literalTemplate(renderSql(BATCH, { schema }, 'postgres')),
  };
}

/**
 * The query that writes `rows` and commits, in one simple-protocol message
 * (sql/postgres/outbox/enqueue-one-and-commit.sql for one event, enqueue-and-commit.sql for
 * several). It has no parameters, which is what makes `pg` send it with the simple protocol, the
 * only one that accepts several statements in one message.
 */
export function enqueueAndCommitQuery(
  statements: EnqueueAndCommitStatements,
  rows: readonly EnqueueRow[],
  source: string,
  wakeChannel: string | null,
): CompiledQuery {
  const statement = rows.length === 1 ? statements.one : statements.batch;
  return CompiledQuery.raw(inlineLiterals(statement, enqueueParameters(rows, source, wakeChannel)));
}
