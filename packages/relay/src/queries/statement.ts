import { readSql, renderSql } from '@rims/sql';

/**
 * What the relay's queries run on: a `pg.Pool`, a `pg.Client` or a `pg.PoolClient`.
 *
 * @example const db: Queryable = pool; // a pg.Pool
 */
export interface Queryable {
  /** Runs one statement with its parameters (pg's own signature, so a pg.Pool or pg.Client fits as it is). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * One SQL file rendered for an outbox schema, with its parameters and row type stated once.
 */
export interface Statement<P extends readonly unknown[], R extends object> {
  readonly text: string;
  run(db: Queryable, params: Readonly<P>): Promise<{ rows: R[]; rowCount: number | null }>;
}

const templates = new Map<string, string>();

/**
 * Declares a statement of sql/`path`: returns a function that renders it for a schema (a checked
 * identifier, see `outboxSchemaName`). Templates are read once per process.
 */
export function statement<P extends readonly unknown[], R extends object = never>(
  path: string,
): (schema: string) => Statement<P, R> {
  return (schema) => {
    let template = templates.get(path);
    if (template === undefined) {
      template = readSql(path);
      templates.set(path, template);
    }
    const text = renderSql(template, { schema }, 'postgres');
    return { text, run: (db, params) => db.query<R>(text, [...params]) };
  };
}
