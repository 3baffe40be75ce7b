import { CompiledQuery } from 'kysely';
import { readSql, renderSql } from '@rims/sql';
import { enqueueParameters, type EnqueueRow } from './enqueue.js';
import { inlineLiterals, literalTemplate, type LiteralTemplate } from './sql-literal.js';

const TEMPLATE = readSql('postgres/outbox/enqueue-and-commit.sql');

/** The enqueue-and-commit statement for one schema, its values still placeholders; prepared once. */
export function enqueueAndCommitStatement(schema: string): LiteralTemplate {
  return literalTemplate(renderSql(TEMPLATE, { schema }, 'postgres'));
}

/**
 * The query that writes `rows` and commits, in one simple-protocol message
 * (sql/postgres/outbox/enqueue-and-commit.sql). It has no parameters, which is what makes `pg` send
 * it with the simple protocol, the only one that accepts several statements in one message.
 */
export function enqueueAndCommitQuery(
  statement: LiteralTemplate,
  rows: readonly EnqueueRow[],
  source: string,
  wakeChannel: string | null,
): CompiledQuery {
  return CompiledQuery.raw(inlineLiterals(statement, enqueueParameters(rows, source, wakeChannel)));
}
