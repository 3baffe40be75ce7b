import { BigQuery, type BigQueryOptions, type Query, type TableField } from '@google-cloud/bigquery';
import type { Datasets } from '../datasets.js';
import { withColumns, type ExistingColumn, type MissingColumn } from '../raw-schema.js';
import { WarehouseError } from '../errors.js';
import { transactionScript } from './bigquery-transaction.js';
import type { QueryOptions, QueryParam, QueryResult, Warehouse } from './warehouse.js';

/** Options of {@link openBigQueryWarehouse}. */
export interface BigQueryWarehouseOptions {
  readonly projectId: string;
  /** Dataset and job location, such as `EU`, `US` or `europe-west1`. */
  readonly location: string;
  /** Labels put on every job (merged with each statement's own). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Client options: `apiEndpoint`, `authClient`, `keyFilename` ... (tests point apiEndpoint at a local server). */
  readonly client?: BigQueryOptions;
}

/** A table's schema as the BigQuery API returns it (only what the merger reads). */
interface TableMetadata {
  schema?: { fields?: ExistingColumn[] };
}

/** The statistics of a finished or dry-run job that the merger reads. */
interface JobMetadata {
  statistics?: { totalBytesProcessed?: string; query?: { numDmlAffectedRows?: string } };
}

function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  // BigQueryTimestamp, BigQueryDate ... carry their text in `value`.
  const constructorName = value.constructor.name;
  if (constructorName === 'BigQueryTimestamp') return new Date((value as { value: string }).value);
  if (constructorName.startsWith('BigQuery') && 'value' in value) return value.value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
}

function toBigQueryParams(params: Readonly<Record<string, QueryParam>>) {
  const values: Record<string, unknown> = {};
  const types: Record<string, string | string[]> = {};
  for (const [name, param] of Object.entries(params)) {
    values[name] = param.value;
    // The client names an array's type by its element type in a one-element array.
    types[name] = param.type === 'ARRAY<INT64>' ? ['INT64'] : param.type;
  }
  return { values, types };
}

/**
 * Opens BigQuery as the warehouse. Every job runs in `location`, carries the labels, and takes its
 * values as named query parameters.
 *
 * @example
 * const warehouse = openBigQueryWarehouse({ projectId: 'acme-prod', location: 'EU' });
 */
export function openBigQueryWarehouse(options: BigQueryWarehouseOptions): Warehouse {
  const client = new BigQuery({
    ...options.client,
    projectId: options.projectId,
    location: options.location,
  });
  const baseLabels = { app: 'rims-merger', ...options.labels };

  async function run(sql: string, query: QueryOptions): Promise<QueryResult> {
    const { values, types } = toBigQueryParams(query.params ?? {});
    const request: Query = {
      query: sql,
      location: options.location,
      labels: { ...baseLabels, ...query.labels },
      jobPrefix: 'rims-merger-',
      ...(Object.keys(values).length > 0 ? { params: values, types } : {}),
      ...(query.dryRun ? { dryRun: true } : {}),
      ...(query.timeoutMs === undefined ? {} : { jobTimeoutMs: Math.max(1, Math.floor(query.timeoutMs)) }),
    };
    try {
      const [job] = await client.createQueryJob(request);
      if (query.dryRun) {
        const dryRunMetadata = job.metadata as JobMetadata | undefined;
        const bytes = Number(dryRunMetadata?.statistics?.totalBytesProcessed ?? 0);
        return { rows: [], affectedRows: 0, bytesProcessed: bytes };
      }
      const [rows] = await job.getQueryResults();
      const metadata = (await job.getMetadata())[0] as JobMetadata;
      const statistics = metadata.statistics;
      return {
        rows: rows.map((row) => plain(row) as Record<string, unknown>),
        affectedRows: Number(statistics?.query?.numDmlAffectedRows ?? 0),
        bytesProcessed: Number(statistics?.totalBytesProcessed ?? 0),
      };
    } catch (error) {
      throw new WarehouseError(
        `BigQuery ${query.statement ? `statement ${query.statement}` : 'job'} failed: ${(error as Error).message}`,
        { cause: error, statement: query.statement },
      );
    }
  }

  return {
    dialect: 'bigquery',
    description: `bigquery://${options.projectId}/${options.location}`,
    query: (sql, query = {}) => run(sql, query),
    async transaction(statements, transaction = {}) {
      const { sql, params } = transactionScript(statements);
      const result = await run(sql, {
        params,
        statement: `transaction of ${statements.map((s) => s.statement).join(', ')}`,
        ...(transaction.labels ? { labels: transaction.labels } : {}),
        ...(transaction.timeoutMs === undefined ? {} : { timeoutMs: transaction.timeoutMs }),
      });
      const counts = result.rows[0]?.row_counts;
      return {
        affectedRows: Array.isArray(counts) ? counts.map(Number) : statements.map(() => 0),
        bytesProcessed: result.bytesProcessed,
      };
    },
    async script(sql, query = {}) {
      await run(sql, query);
    },
    async tableColumns(dataset: string, table: string): Promise<ExistingColumn[] | undefined> {
      try {
        const metadata = (await client.dataset(dataset).table(table).getMetadata())[0] as TableMetadata;
        return metadata.schema?.fields ?? [];
      } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        throw new WarehouseError(
          `reading the schema of ${dataset}.${table} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    },
    async addColumns(dataset: string, table: string, missing: readonly MissingColumn[]): Promise<void> {
      // DDL cannot add a field to an existing RECORD; a schema patch (tables.patch) can, additively.
      const handle = client.dataset(dataset).table(table);
      try {
        const metadata = (await handle.getMetadata())[0] as TableMetadata;
        const fields = withColumns(metadata.schema?.fields ?? [], missing);
        await handle.setMetadata({ schema: { fields: fields as TableField[] } });
      } catch (error) {
        throw new WarehouseError(
          `adding columns to ${dataset}.${table} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    },
    async ensureDatasets(datasets: Datasets): Promise<string[]> {
      const created: string[] = [];
      for (const name of [datasets.raw, datasets.core, datasets.analytics]) {
        try {
          const [exists] = await client.dataset(name).exists();
          if (exists) continue;
          await client.createDataset(name, { location: options.location });
          created.push(name);
        } catch (error) {
          // Another provision created it in the meantime.
          if ((error as { code?: number }).code === 409) continue;
          throw new WarehouseError(`creating BigQuery dataset ${name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
      return created;
    },
    close: () => Promise.resolve(),
  };
}
