/**
 * BigQuery runs a multi-statement transaction only inside one script job: this module writes that
 * script from separate statements, each kept as its own SQL file (and analyzed on its own).
 */
import { WarehouseError } from '../errors.js';
import type { QueryParam, TransactionStatement } from './warehouse.js';

/** The line that opens each statement in a transaction script: `-- rims:statement <file>`. */
export const STATEMENT_MARKER = '-- rims:statement ';

/** The name of the script variable collecting each statement's `@@row_count`. */
const ROW_COUNTS = 'rims_row_counts';

/** One script job: its text and the parameters of all its statements. */
export interface TransactionScript {
  readonly sql: string;
  readonly params: Record<string, QueryParam>;
}

const sameValue = (a: QueryParam, b: QueryParam): boolean =>
  a.type === b.type &&
  (a.value instanceof Date && b.value instanceof Date
    ? a.value.getTime() === b.value.getTime()
    : JSON.stringify(a.value) === JSON.stringify(b.value));

/**
 * The script that runs `statements` in one BigQuery transaction and ends with a SELECT of the rows
 * each changed (`row_counts`, in order). On an error BigQuery rolls the transaction back and the
 * job fails. The statements share one parameter namespace: a name two of them bind to different
 * values is refused.
 *
 * @throws {WarehouseError} when two statements bind one parameter name to different values
 * @example
 * const { sql } = transactionScript([{ sql: 'DELETE FROM d.t WHERE TRUE', statement: 'a.sql' }]);
 */
export function transactionScript(statements: readonly TransactionStatement[]): TransactionScript {
  const params: Record<string, QueryParam> = {};
  const lines = [`DECLARE ${ROW_COUNTS} ARRAY<INT64> DEFAULT [];`, 'BEGIN TRANSACTION;'];
  for (const { sql, params: own = {}, statement } of statements) {
    for (const [name, param] of Object.entries(own)) {
      const earlier = params[name];
      if (earlier && !sameValue(earlier, param))
        throw new WarehouseError(
          `the statements of one transaction bind @${name} to different values (in ${statement}); give them one value or rename the parameter`,
          { statement },
        );
      params[name] = param;
    }
    lines.push(
      `${STATEMENT_MARKER}${statement}`,
      `${sql.trim().replace(/;\s*$/, '')};`,
      `SET ${ROW_COUNTS} = ARRAY_CONCAT(${ROW_COUNTS}, [@@row_count]);`,
    );
  }
  lines.push('COMMIT TRANSACTION;', `SELECT ${ROW_COUNTS} AS row_counts;`);
  return { sql: lines.join('\n'), params };
}

/**
 * The statements of a script {@link transactionScript} wrote, each as its file gave it (tests and
 * the ZetaSQL analysis read them back out of the jobs the client sent).
 *
 * @example
 * const { sql } = transactionScript([{ sql: 'DELETE FROM d.t WHERE TRUE', statement: 'a.sql' }]);
 * statementsOfTransactionScript(sql); // [{ statement: 'a.sql', sql: 'DELETE FROM d.t WHERE TRUE;' }]
 */
export function statementsOfTransactionScript(script: string): { statement: string; sql: string }[] {
  const parts = script.split(`\n${STATEMENT_MARKER}`).slice(1);
  return parts.map((part) => {
    const newline = part.indexOf('\n');
    const body = part.slice(newline + 1);
    const end = body.lastIndexOf(`\nSET ${ROW_COUNTS} =`);
    return { statement: part.slice(0, newline), sql: body.slice(0, end) };
  });
}
