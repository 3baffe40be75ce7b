/**
 * @rims/sql: the project's SQL, kept as .sql files beside this module, and the few helpers that
 * load them. Values always travel as query parameters; the only text substituted into SQL is an
 * identifier (schema, dataset, project), validated and quoted here.
 *
 * @example
 * const text = renderSql(readSql('postgres/outbox/enqueue.sql'), { schema: 'rims_outbox' }, 'postgres');
 */
import { readFileSync, readdirSync } from 'node:fs';
import { RimsError } from '@rims/schemas';

/** The SQL dialects this project renders. */
export type SqlDialect = 'postgres' | 'duckdb' | 'bigquery';

/** A SQL file is missing, a placeholder has no value, or an identifier is not acceptable. */
export class SqlTemplateError extends RimsError {
  readonly code = 'RIMS_SQL_TEMPLATE';
}

const root = new URL('../', import.meta.url);

/**
 * Reads a SQL file of this package by its path, such as `postgres/outbox/enqueue.sql`.
 *
 * @throws {SqlTemplateError} when there is no such file
 */
export function readSql(path: string): string {
  try {
    return readFileSync(new URL(path, root), 'utf8');
  } catch (error) {
    throw new SqlTemplateError(`SQL file '${path}' not found in @rims/sql`, { cause: error });
  }
}

/** The `.sql` files directly in a folder of this package, sorted by name, as paths for {@link readSql}. */
export function listSql(folder: string): string[] {
  const dir = folder.endsWith('/') ? folder : `${folder}/`;
  return readdirSync(new URL(dir, root))
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => `${dir}${name}`);
}

const IDENTIFIER: Record<SqlDialect, RegExp> = {
  postgres: /^[a-z_][a-z0-9_]{0,62}$/,
  duckdb: /^[a-z_][a-z0-9_]{0,62}$/,
  // BigQuery project ids contain hyphens; dataset and table names do not, but share this check.
  bigquery: /^[A-Za-z_][A-Za-z0-9_-]{0,1023}$/,
};

/**
 * Checks that `name` is a plain identifier for the dialect and returns it.
 *
 * @throws {SqlTemplateError} naming the setting and the accepted form
 */
export function assertIdentifier(name: string, what: string, dialect: SqlDialect): string {
  if (!IDENTIFIER[dialect].test(name)) {
    throw new SqlTemplateError(
      `${what} '${name}' is not a plain ${dialect} identifier; use lower-case letters, digits and underscores` +
        (dialect === 'bigquery' ? ' (hyphens allowed in a project id)' : '') +
        ', starting with a letter or underscore',
    );
  }
  return name;
}

/** Quotes an identifier for the dialect after checking it with {@link assertIdentifier}. */
export function quoteIdentifier(name: string, dialect: SqlDialect, what = 'identifier'): string {
  assertIdentifier(name, what, dialect);
  return dialect === 'bigquery' ? `\`${name}\`` : `"${name}"`;
}

/**
 * Replaces each `{{name}}` in a template with the quoted identifier given for it.
 *
 * @throws {SqlTemplateError} when a placeholder has no value or a value is not a plain identifier
 * @example renderSql('SELECT * FROM {{schema}}.events', { schema: 'rims_outbox' }, 'postgres')
 */
export function renderSql(
  template: string,
  identifiers: Readonly<Record<string, string>>,
  dialect: SqlDialect,
): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, key: string) => {
    const value = identifiers[key];
    if (value === undefined) throw new SqlTemplateError(`SQL template needs a value for {{${key}}}`);
    return quoteIdentifier(value, dialect, key);
  });
}
