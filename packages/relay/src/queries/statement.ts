import { createHash } from 'node:crypto';
import pg from 'pg';
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
 * Whether `db` is pg's own pool or client, which can run a named statement; a wrapper that only
 * offers `query(text, values)` (to count statements, say) runs every statement unprepared.
 */
function runsNamedStatements(db: Queryable): db is pg.Pool | pg.Client {
  return db instanceof pg.Pool || db instanceof pg.Client;
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
 *
 * `prepared` says for which parameters to run it as a named statement, prepared once per
 * connection, rather than parsed and planned on every run. PostgreSQL may then keep a generic
 * plan, in which parameters are not constants: an array parameter compared with `<> ALL` is no
 * longer hashed but walked for every row, so a statement with such a list prepares only while the
 * list is short (see fetchPending).
 */
export function statement<P extends readonly unknown[], R extends object = never>(
  path: string,
  options: { readonly prepared?: (params: Readonly<P>) => boolean } = {},
): (schema: string, observe?: StatementObserver) => Statement<P, R> {
  const name = path.replace(/^.*\//, '').replace(/\.sql$/, '');
  return (schema, observe) => {
    let template = templates.get(path);
    if (template === undefined) {
      template = readSql(path);
      templates.set(path, template);
    }
    const text = renderSql(template, { schema }, 'postgres');
    // One name per text (a connection refuses another text under a name it holds), short enough
    // for PostgreSQL, which cuts names at 63 bytes.
    const { prepared } = options;
    const preparedName = prepared
      ? `rims_${name}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`
      : '';
    return {
      name,
      text,
      run: (db, params) => {
        observe?.(name);
        if (prepared?.(params) === true && runsNamedStatements(db)) {
          return db.query<R & pg.QueryResultRow>({ name: preparedName, text, values: [...params] });
        }
        return db.query<R>(text, [...params]);
      },
    };
  };
}
