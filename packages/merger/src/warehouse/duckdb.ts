import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  DuckDBInstance,
  LIST,
  TIMESTAMPTZ,
  VARCHAR,
  listValue,
  timestampTZValueFromDate,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { quoteIdentifier } from '@rims/sql';
import type { Datasets } from '../datasets.js';
import { duckdbColumnType } from './duckdb-types.js';
import type { ExistingColumn, MissingColumn } from '../raw-schema.js';
import { MergerConfigError, WarehouseError, WarehouseLockedError } from '../errors.js';
import type {
  ParamType,
  QueryOptions,
  QueryParam,
  QueryResult,
  TransactionOptions,
  TransactionResult,
  TransactionStatement,
  Warehouse,
} from './warehouse.js';

const TYPES: Record<ParamType, DuckDBType> = {
  STRING: VARCHAR,
  INT64: BIGINT,
  TIMESTAMP: TIMESTAMPTZ,
  BOOL: BOOLEAN,
  'ARRAY<INT64>': LIST(BIGINT),
};

function bind(params: Readonly<Record<string, QueryParam>>) {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [name, param] of Object.entries(params)) {
    types[name] = TYPES[param.type];
    const { value } = param;
    if (value === null) values[name] = null;
    else if (value instanceof Date) values[name] = timestampTZValueFromDate(value);
    else if (typeof value === 'object') values[name] = listValue(value.map((item) => BigInt(item)));
    else if (param.type === 'INT64') values[name] = BigInt(value);
    else values[name] = value;
  }
  return { values, types };
}

/** Plain JS values: bigint -> number (string beyond 2^53), Date kept, nested objects walked. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
}

/** The fields of a DuckDB type such as `STRUCT(a VARCHAR, b STRUCT(c BIGINT))`, nested; none for other types. */
export function structFields(type: string): ExistingColumn[] | undefined {
  if (!type.startsWith('STRUCT(') || !type.endsWith(')')) return undefined;
  const inner = type.slice('STRUCT('.length, -1);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(inner.slice(start).trim());
  return parts.map((part) => {
    const match = /^("(?:[^"]|"")+"|\S+)\s+(.*)$/.exec(part);
    const name = (match?.[1] ?? part).replace(/^"|"$/g, '').replace(/""/g, '"');
    const fields = structFields(match?.[2] ?? '');
    return fields ? { name, fields } : { name };
  });
}

function wrap(error: unknown, path: string, statement?: string): WarehouseError {
  const message = error instanceof Error ? error.message : String(error);
  if (/Could not set lock on file|Conflicting lock is held/i.test(message)) {
    return new WarehouseLockedError(
      `the DuckDB file ${path} is open in another process (DuckDB allows one writer at a time): ${message}. Stop that process, or land and merge in one process with \`rims-merger run --every 1m --land\`.`,
      { cause: error, statement },
    );
  }
  // A table or schema missing: the file holds no warehouse, or one of an older release.
  const fix = /Catalog Error: Table with name .* does not exist/.test(message)
    ? '; is the warehouse provisioned? run `rims-merger provision` (a new release may add tables)'
    : '';
  return new WarehouseError(
    `DuckDB ${statement ? `statement ${statement}` : 'statement'} failed: ${message}${fix}`,
    {
      cause: error,
      statement,
    },
  );
}

/**
 * Opens (creating it and its directory when missing, unless `existing`) a DuckDB file as the local
 * warehouse. Several opens of one file in a process share one database (each gets its own
 * connection).
 *
 * @param options.existing open only a file that is there: what `provision` has not created is not
 *   created by a command that reads or merges into it
 * @throws {WarehouseLockedError} when another process has the file open
 * @throws {MergerConfigError} with `existing`, when there is no file at `path`
 * @example const warehouse = await openDuckDbWarehouse('/tmp/rims/warehouse.duckdb');
 */
export async function openDuckDbWarehouse(
  path: string,
  options: { existing?: boolean } = {},
): Promise<Warehouse> {
  if (options.existing === true && !existsSync(path)) {
    throw new MergerConfigError(
      `WAREHOUSE_URL: there is no DuckDB warehouse at ${path}; run \`rims-merger provision\` to create it, or fix the path`,
    );
  }
  mkdirSync(dirname(path), { recursive: true });
  let connection: DuckDBConnection;
  let instance: DuckDBInstance;
  try {
    // The native instance cache shares one database among opens of the same file in this process;
    // the file is closed when the last of them closes.
    instance = await DuckDBInstance.fromCache(path);
    connection = await instance.connect();
    // Timestamps print and compare in UTC whatever the machine's zone.
    await connection.run("SET TimeZone = 'UTC'");
  } catch (error) {
    throw wrap(error, path);
  }
  let closed = false;

  async function query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const { values, types } = bind(options.params ?? {});
    let timer: NodeJS.Timeout | undefined;
    // An object, not a boolean: the timer's callback sets it, which the type checker cannot follow.
    const stopped = { atTimeout: false };
    try {
      if (options.dryRun) {
        // DuckDB has no dry run; EXPLAIN binds every name and type without touching data.
        await connection.run(`EXPLAIN ${sql}`, values, types);
        return { rows: [], affectedRows: 0, bytesProcessed: null };
      }
      // The counterpart of BigQuery's jobTimeoutMs: an interrupted statement changes nothing.
      if (options.timeoutMs !== undefined)
        timer = setTimeout(
          () => {
            stopped.atTimeout = true;
            connection.interrupt();
          },
          Math.max(1, options.timeoutMs),
        );
      const reader = await connection.runAndReadAll(sql, values, types);
      const rows = reader.getRowObjectsJS().map((row) => plain(row) as Record<string, unknown>);
      return { rows, affectedRows: reader.rowsChanged, bytesProcessed: null };
    } catch (error) {
      if (stopped.atTimeout)
        throw new WarehouseError(
          `DuckDB ${options.statement ? `statement ${options.statement}` : 'statement'} was stopped at its timeout of ${String(options.timeoutMs)} ms (nothing it would have changed is kept)`,
          { cause: error, statement: options.statement },
        );
      throw wrap(error, path, options.statement);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    dialect: 'duckdb',
    description: `duckdb://${path}`,
    query,
    async transaction(
      statements: readonly TransactionStatement[],
      options: TransactionOptions = {},
    ): Promise<TransactionResult> {
      const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
      try {
        await connection.run('BEGIN TRANSACTION');
      } catch (error) {
        throw wrap(error, path, 'BEGIN TRANSACTION');
      }
      try {
        const counts: number[] = [];
        for (const { sql, params, statement } of statements) {
          const result = await query(sql, {
            statement,
            ...(params ? { params } : {}),
            ...(deadline === undefined ? {} : { timeoutMs: Math.max(1, deadline - Date.now()) }),
          });
          counts.push(result.affectedRows);
        }
        await connection.run('COMMIT');
        return { affectedRows: counts, bytesProcessed: null };
      } catch (error) {
        // A failed statement leaves the transaction aborted: roll it back so the connection is usable.
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error instanceof WarehouseError ? error : wrap(error, path, 'COMMIT');
      }
    },
    async script(sql: string, options = {}): Promise<void> {
      try {
        await connection.run(sql);
      } catch (error) {
        throw wrap(error, path, options.statement);
      }
    },
    async tableColumns(dataset: string, table: string): Promise<ExistingColumn[] | undefined> {
      const reader = await connection.runAndReadAll(
        'SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = $schema AND table_name = $table ORDER BY column_index',
        { schema: dataset, table },
      );
      const rows = reader.getRowObjectsJS() as { column_name: string; data_type: string }[];
      if (rows.length === 0) return undefined;
      return rows.map((row) => {
        const fields = structFields(row.data_type);
        return fields ? { name: row.column_name, fields } : { name: row.column_name };
      });
    },
    async addColumns(dataset: string, table: string, missing: readonly MissingColumn[]): Promise<void> {
      const target = `${quoteIdentifier(dataset, 'duckdb')}.${quoteIdentifier(table, 'duckdb')}`;
      for (const { path, column } of missing) {
        const name = path
          .split('.')
          .map((part) => quoteIdentifier(part, 'duckdb'))
          .join('.');
        try {
          // DuckDB adds a field to a STRUCT column in place: ADD COLUMN data.shipment_id VARCHAR.
          await connection.run(`ALTER TABLE ${target} ADD COLUMN ${name} ${duckdbColumnType(column)}`);
        } catch (error) {
          throw wrap(error, path, `add column ${path}`);
        }
      }
    },
    ensureDatasets(_datasets: Datasets): Promise<string[]> {
      // DuckDB schemas are created by ddl/001_schemas.sql.
      return Promise.resolve([]);
    },
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        connection.closeSync();
        instance.closeSync();
      }
      return Promise.resolve();
    },
  };
}
