/**
 * A local stand-in for the BigQuery REST API, given to the real `@google-cloud/bigquery` client as
 * its `apiEndpoint`: it records every request (so tests see exactly what the client sends) and
 * answers plausibly. Not a warehouse: it runs nothing.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { openBigQueryWarehouse, type Warehouse } from '../src/index.js';

// The auth client the BigQuery library itself uses: a fixed token, so nothing reaches Google.
const requireFromBigQuery = createRequire(createRequire(import.meta.url).resolve('@google-cloud/bigquery'));
const { OAuth2Client } = requireFromBigQuery('google-auth-library') as {
  OAuth2Client: new () => {
    setCredentials(credentials: { access_token: string; expiry_date: number }): void;
  };
};

/** A job request as the client sends it (the fields the tests read). */
export interface JobRequest {
  configuration: {
    query: {
      query: string;
      useLegacySql: boolean;
      parameterMode?: string;
      queryParameters?: {
        name: string;
        parameterType: { type: string; arrayType?: { type: string } };
        parameterValue: { value?: string | number; arrayValues?: { value: string | number }[] };
      }[];
    };
    dryRun?: boolean;
    jobTimeoutMs?: string;
    labels: Record<string, string>;
  };
  jobReference: { jobId: string; location: string };
}

export const MIN_TIME_MICROS = String(Date.UTC(2026, 0, 1) * 1000);
export const MAX_TIME_MICROS = String(Date.UTC(2026, 0, 2) * 1000);

/** A local stand-in for the BigQuery REST API that records every request and answers plausibly. */
export class FakeBigQuery {
  readonly jobs: JobRequest[] = [];
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  private readonly server: Server;
  private readonly datasets = new Set<string>();
  /** The raw table as an older release created it: no data.shipment_id. */
  readonly rawSchema = {
    fields: [
      { name: 'id', type: 'STRING', mode: 'NULLABLE' },
      {
        name: 'data',
        type: 'RECORD',
        mode: 'NULLABLE',
        fields: ['item_id', 'order_id', 'sku', 'location_id', 'reason'].map((name) => ({
          name,
          type: 'STRING',
          mode: 'NULLABLE',
        })),
      },
    ],
  };

  constructor() {
    this.server = createServer((request, response) => {
      void this.handle(request).then(([status, body]) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    return `http://127.0.0.1:${String(address.port)}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  reset(): void {
    this.jobs.length = 0;
    this.requests.length = 0;
  }

  private job(jobId: string): JobRequest | undefined {
    return this.jobs.find((job) => job.jobReference.jobId === jobId);
  }

  private statistics(job: JobRequest) {
    const text = job.configuration.query.query;
    const dml = /^\s*(MERGE|UPDATE|INSERT)/m.test(text.replace(/^--.*$/gm, ''));
    return {
      totalBytesProcessed: '1048576',
      query: {
        totalBytesProcessed: '1048576',
        ...(dml ? { numDmlAffectedRows: text.includes('UPDATE `rims_core`.merge_lease') ? '1' : '2' } : {}),
      },
    };
  }

  private results(job: JobRequest) {
    const text = job.configuration.query.query;
    if (text.includes('AS watermark')) {
      return { schema: { fields: [{ name: 'watermark', type: 'TIMESTAMP' }] }, rows: [{ f: [{ v: null }] }] };
    }
    if (text.includes('AS row_counts')) {
      const statements = text.split('\n-- rims:statement ').length - 1;
      return {
        schema: { fields: [{ name: 'row_counts', type: 'INTEGER', mode: 'REPEATED' }] },
        rows: [{ f: [{ v: Array.from({ length: statements }, () => ({ v: '2' })) }] }],
      };
    }
    if (text.includes('AS through_day')) {
      return {
        schema: { fields: [{ name: 'through_day', type: 'TIMESTAMP' }] },
        rows: [{ f: [{ v: null }] }],
      };
    }
    if (text.includes('AS history_from')) {
      return {
        schema: { fields: [{ name: 'history_from', type: 'TIMESTAMP' }] },
        rows: [{ f: [{ v: MIN_TIME_MICROS }] }],
      };
    }
    if (text.includes('COUNTIF(reason IS NULL)')) {
      return {
        schema: {
          fields: [
            { name: 'raw_rows', type: 'INTEGER' },
            { name: 'valid_rows', type: 'INTEGER' },
            { name: 'min_time', type: 'TIMESTAMP' },
            { name: 'max_time', type: 'TIMESTAMP' },
            { name: 'buckets', type: 'INTEGER', mode: 'REPEATED' },
          ],
        },
        rows: [
          {
            f: [
              { v: '3' },
              { v: '2' },
              { v: MIN_TIME_MICROS },
              { v: MAX_TIME_MICROS },
              { v: [{ v: '17' }, { v: '3001' }] },
            ],
          },
        ],
      };
    }
    return { schema: { fields: [] }, rows: [] };
  }

  private async handle(request: IncomingMessage): Promise<[number, unknown]> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const body: unknown = text ? JSON.parse(text) : undefined;
    const path = (request.url ?? '').split('?')[0] ?? '';
    this.requests.push({ method: request.method ?? '', path, body });
    const jobPost = /\/projects\/([^/]+)\/jobs$/.exec(path);
    if (request.method === 'POST' && jobPost) {
      const job = body as JobRequest;
      this.jobs.push(job);
      return [200, { ...job, status: { state: 'DONE' }, statistics: this.statistics(job) }];
    }
    const results = /\/projects\/[^/]+\/queries\/([^/]+)$/.exec(path);
    if (results?.[1]) {
      const job = this.job(results[1]);
      if (!job) return [404, { error: { code: 404, message: 'no such job' } }];
      const { schema, rows } = this.results(job);
      return [
        200,
        { jobComplete: true, jobReference: job.jobReference, schema, rows, totalRows: String(rows.length) },
      ];
    }
    const jobGet = /\/projects\/[^/]+\/jobs\/([^/]+)$/.exec(path);
    if (jobGet?.[1]) {
      const job = this.job(jobGet[1]);
      if (!job) return [404, { error: { code: 404, message: 'no such job' } }];
      return [200, { ...job, status: { state: 'DONE' }, statistics: this.statistics(job) }];
    }
    if (path.endsWith('/datasets/rims_raw/tables/item_events')) {
      if (request.method === 'GET')
        return [200, { tableReference: { tableId: 'item_events' }, schema: this.rawSchema }];
      if (request.method === 'PATCH') return [200, body];
    }
    const dataset = /\/projects\/[^/]+\/datasets\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && dataset?.[1]) {
      return this.datasets.has(dataset[1])
        ? [200, { datasetReference: { datasetId: dataset[1] } }]
        : [404, { error: { code: 404, message: 'Not found' } }];
    }
    if (request.method === 'POST' && path.endsWith('/datasets')) {
      const id = (body as { datasetReference: { datasetId: string } }).datasetReference.datasetId;
      this.datasets.add(id);
      return [200, body];
    }
    return [404, { error: { code: 404, message: `unexpected ${request.method ?? ''} ${path}` } }];
  }
}

/**
 * The real BigQuery warehouse client pointed at `fake` (project `acme-prod`, location `EU`).
 *
 * @example const warehouse = await fakeBigQueryWarehouse(fake);
 */
export async function fakeBigQueryWarehouse(
  fake: FakeBigQuery,
  labels: Readonly<Record<string, string>> = {},
): Promise<Warehouse> {
  const apiEndpoint = await fake.listen();
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: 'test-token', expiry_date: Date.now() + 3_600_000 });
  return openBigQueryWarehouse({
    projectId: 'acme-prod',
    location: 'EU',
    labels,
    client: { apiEndpoint, authClient: authClient as never },
  });
}

/** A parameter's type as the client sent it, written as BigQuery writes types: `INT64`, `ARRAY<INT64>`. */
export function sentType(parameterType: { type: string; arrayType?: { type: string } }): string {
  return parameterType.arrayType
    ? `${parameterType.type}<${parameterType.arrayType.type}>`
    : parameterType.type;
}
