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
  /** The file's name without `.sql`, such as `fetch-pending`: how metrics name the statement. */
  readonly name: string;
  readonly text: string;
  run(db: Queryable, params: Readonly<P>): Promise<{ rows: R[]; rowCount: number | null }>;
}

const templates = new Map<string, string>();

/** Hears every statement run, by name: how the relay counts its round trips to PostgreSQL. */
export type StatementObserver = (name: string) => void;

/**
 * Declares a statement of sql/`path`: returns a function that renders it for a schema (a checked
 * identifier, see `outboxSchemaName`), telling `observe` of each run. Templates are read once per
 * process.
 */
export function statement<P extends readonly unknown[], R extends object = never>(
  path: string,
): (schema: string, observe?: StatementObserver) => Statement<P, R> {
  const name = path.replace(/^.*\//, '').replace(/\.sql$/, '');
  return (schema, observe) => {
    let template = templates.get(path);
    if (template === undefined) {
      template = readSql(path);
      templates.set(path, template);
    }
    const text = renderSql(template, { schema }, 'postgres');
    return {
      name,
      text,
      run: (db, params) => {
        observe?.(name);
        return db.query<R>(text, [...params]);
      },
    };
  };
}
