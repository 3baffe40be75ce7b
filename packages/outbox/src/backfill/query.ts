import type pg from 'pg';
import { readSql } from '@rims/sql';
import { BackfillQueryError } from '../errors.js';
import { PG_ERROR, pgErrorCode } from '../postgres-errors.js';

/** The columns a backfill query returns, in the order a snapshot's data lists them. */
export const SNAPSHOT_COLUMNS = ['item_id', 'status', 'order_id', 'sku', 'quantity', 'location_id'] as const;

const COLUMN_LIST = SNAPSHOT_COLUMNS.join(', ');

// Built-in type oids (pg_type.dat); stable across PostgreSQL versions.
const OID = { int2: 21, int4: 23, int8: 20, text: 25, varchar: 1043, bpchar: 1042, name: 19, uuid: 2950 };
const TEXT_LIKE = new Set([OID.text, OID.varchar, OID.bpchar, OID.name]);
const INTEGER = new Set([OID.int2, OID.int4, OID.int8]);

/** What each column may be: ids may be text, uuid or integers; status text or an enum. */
const ACCEPTS: Record<
  (typeof SNAPSHOT_COLUMNS)[number],
  { oids: Set<number>; enums: boolean; what: string }
> = {
  item_id: {
    oids: new Set([...TEXT_LIKE, OID.uuid, ...INTEGER]),
    enums: false,
    what: 'text, uuid or an integer',
  },
  status: { oids: TEXT_LIKE, enums: true, what: 'text or an enum' },
  order_id: {
    oids: new Set([...TEXT_LIKE, OID.uuid, ...INTEGER]),
    enums: false,
    what: 'text, uuid or an integer',
  },
  sku: {
    oids: new Set([...TEXT_LIKE, OID.uuid, ...INTEGER]),
    enums: false,
    what: 'text, uuid or an integer',
  },
  quantity: { oids: INTEGER, enums: false, what: 'a whole number (smallint, integer or bigint)' },
  location_id: {
    oids: new Set([...TEXT_LIKE, OID.uuid, ...INTEGER]),
    enums: false,
    what: 'text, uuid or an integer',
  },
};

const QUERY_MARKER = '/*@query*/';

/**
 * A backfill statement (sql/postgres/backfill/) with the operator's query in its subquery. The
 * query is the operator's own SQL, run with the backfill role's privileges; it is checked by
 * PostgreSQL ({@link describeQuery}), not by string inspection.
 */
export function withQuery(file: string, query: string): string {
  const template = readSql(`postgres/backfill/${file}`);
  // Newlines around it, so a trailing -- comment cannot swallow the closing parenthesis.
  return template.replace(QUERY_MARKER, () => `\n${query}\n`);
}

/** The query as it is embedded: trimmed, without trailing semicolons (one statement may end with one). */
export function normaliseQuery(query: string): string {
  return query.trim().replace(/[\s;]+$/, '');
}

interface ColumnTypeRow {
  oid: number;
  name: string;
  is_enum: boolean;
  base_oid: number;
}

/**
 * Checks the operator's query with PostgreSQL itself, in a READ ONLY transaction that reads no row:
 * exactly one SELECT (or WITH ... SELECT), no data-modifying CTE, nothing that writes or locks, and
 * exactly the snapshot columns with usable types.
 *
 * @throws {BackfillQueryError} naming `--query` or the column, and the fix
 */
export async function describeQuery(client: pg.PoolClient, query: string): Promise<void> {
  if (query === '') {
    throw new BackfillQueryError(
      `--query is empty; pass one SELECT returning ${COLUMN_LIST}, such as --query "SELECT id AS item_id, status, order_id, sku, quantity, location_id FROM items"`,
    );
  }
  let fields: readonly { name: string; dataTypeID: number }[];
  await client.query('BEGIN READ ONLY');
  try {
    fields = (await client.query(withQuery('describe.sql', query))).fields;
  } catch (error) {
    throw queryError(error);
  } finally {
    await client.query('ROLLBACK');
  }
  const names = fields.map((field) => field.name);
  for (const name of names) {
    if (names.indexOf(name) !== names.lastIndexOf(name)) {
      throw new BackfillQueryError(
        `--query returns column ${name} more than once; return each of ${COLUMN_LIST} exactly once`,
      );
    }
    if (!(SNAPSHOT_COLUMNS as readonly string[]).includes(name)) {
      throw new BackfillQueryError(
        `--query returns column ${name}, which a snapshot has no field for; return exactly ${COLUMN_LIST} (rename with AS, leave the others out)`,
      );
    }
  }
  for (const column of SNAPSHOT_COLUMNS) {
    if (!names.includes(column)) {
      throw new BackfillQueryError(
        `--query returns no column ${column}; return ${COLUMN_LIST}, renaming with AS (such as qty AS ${column}), or NULL AS ${column} when the application has none`,
      );
    }
  }
  const { rows } = await client.query<ColumnTypeRow>(readSql('postgres/backfill/column-types.sql'), [
    fields.map((field) => field.dataTypeID),
  ]);
  for (const field of fields) {
    const column = field.name as (typeof SNAPSHOT_COLUMNS)[number];
    const type = rows.find((row) => row.oid === field.dataTypeID);
    const accepts = ACCEPTS[column];
    const ok = type !== undefined && (accepts.oids.has(type.base_oid) || (accepts.enums && type.is_enum));
    if (!ok) {
      const cast = column === 'quantity' ? `${column}::integer` : `${column}::text`;
      throw new BackfillQueryError(
        `--query returns column ${column} as ${type?.name ?? `type oid ${String(field.dataTypeID)}`}; a snapshot's ${column} is ${accepts.what}: cast it in the query (${cast})`,
      );
    }
  }
}

/** Turns PostgreSQL's refusal of the query into an error naming --query and the fix. */
function queryError(error: unknown): Error {
  const message = (error as Error).message;
  switch (pgErrorCode(error)) {
    case PG_ERROR.syntaxError:
      return new BackfillQueryError(
        message.includes('at or near ";"')
          ? `--query holds more than one statement (PostgreSQL: ${message}); pass exactly one SELECT (or WITH ... SELECT)`
          : `--query must be exactly one SELECT (or WITH ... SELECT) returning ${COLUMN_LIST}; PostgreSQL refused it as a subquery: ${message}`,
        { cause: error },
      );
    case PG_ERROR.featureNotSupported:
      return new BackfillQueryError(
        message.includes('data-modifying')
          ? `--query has a data-modifying WITH (INSERT, UPDATE, DELETE or MERGE); a backfill only reads: pass a plain SELECT`
          : `--query uses something PostgreSQL does not support in a subquery (${message}); pass a plain SELECT`,
        { cause: error },
      );
    case PG_ERROR.readOnlySqlTransaction:
      return new BackfillQueryError(
        `--query writes or locks rows (PostgreSQL: ${message}); a backfill only reads: drop FOR UPDATE/SHARE and functions that write`,
        { cause: error },
      );
    case PG_ERROR.undefinedParameter:
      return new BackfillQueryError(
        `--query uses a $n parameter (PostgreSQL: ${message}); write the values into the query, or use --items to pick items`,
        { cause: error },
      );
    case PG_ERROR.insufficientPrivilege:
      return new BackfillQueryError(
        `--query reads a table the backfill's role may not read (PostgreSQL: ${message}); GRANT SELECT on it to that role (see the @rims/outbox README, "Backfill role")`,
        { cause: error },
      );
    default:
      return new BackfillQueryError(`--query failed in PostgreSQL: ${message}`, { cause: error });
  }
}
