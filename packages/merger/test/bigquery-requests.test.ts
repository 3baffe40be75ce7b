import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DATASETS,
  provisionWarehouse,
  rawSubscriptionRequest,
  renderStatement,
  runMerge,
  statementsOfTransactionScript,
  type Warehouse,
} from '../src/index.js';
import { FakeBigQuery, fakeBigQueryWarehouse, sentType, type JobRequest } from './fake-bigquery.js';

const fake = new FakeBigQuery();
let warehouse: Warehouse;

beforeAll(async () => {
  warehouse = await fakeBigQueryWarehouse(fake, { team: 'data' });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
});

const params = (job: JobRequest | undefined) =>
  Object.fromEntries(
    (job?.configuration.query.queryParameters ?? []).map((param) => [
      param.name,
      {
        type: sentType(param.parameterType),
        value:
          param.parameterValue.value ??
          param.parameterValue.arrayValues?.map((item) => Number(item.value)) ??
          null,
      },
    ]),
  );
const jobFor = (file: string) =>
  fake.jobs.find(
    (job) => job.configuration.query.query === renderStatement('bigquery', file, DEFAULT_DATASETS),
  );

describe('BigQuery client calls (against a local HTTP endpoint given as apiEndpoint)', () => {
  it('runs each merge statement as a parameterised, labelled job in the dataset location', async () => {
    const now = new Date('2026-01-03T00:00:00.000Z');
    const report = await runMerge(warehouse, { now, holder: 'merger-host-1' });
    expect(report.outcome).toBe('succeeded');
    expect(report.chunks[0]).toMatchObject({
      rawRows: 3,
      validRows: 2,
      coreInserted: 2,
      rejectedInserted: 2,
      stateChanged: 2,
      historyChanged: 2,
      dailyChanged: 2,
      // window, core, state, heartbeats, the last day held, spans, bounds, the history transaction,
      // discrepancies and rejected: the bytes of the merge itself (not lease or run log).
      bytesProcessed: 10 * 1048576,
    });

    const steps = fake.jobs.map((job) => job.configuration.labels.step);
    expect(steps).toEqual([
      'watermark',
      'lease',
      'runs-start',
      'merge-010_window',
      'merge-020_core_item_events',
      'lease',
      'merge-040_item_commitment_state',
      'merge-050_pipeline_heartbeats',
      'lease',
      'merge-065_daily_committed_through',
      'lease',
      'merge-070_item_history_spans',
      'lease',
      'merge-071_item_history_bounds',
      // daily_committed, history and the last day held: one script job, one transaction.
      'lease',
      'transaction',
      'lease',
      'merge-075_item_state_discrepancies',
      'lease',
      'merge-030_core_item_events_rejected',
      // The lease is still ours after the last MERGE: only then is the run recorded as succeeded.
      'lease',
      'runs-finish',
      'lease',
    ]);
    const transaction = fake.jobs.find((job) => job.configuration.labels.step === 'transaction');
    const script = transaction?.configuration.query.query ?? '';
    expect(script).toMatch(/^DECLARE rims_row_counts ARRAY<INT64> DEFAULT \[\];\nBEGIN TRANSACTION;\n/);
    expect(script).toMatch(/COMMIT TRANSACTION;\nSELECT rims_row_counts AS row_counts;$/);
    expect(statementsOfTransactionScript(script).map((part) => part.statement)).toEqual([
      'merge/072_daily_committed.sql',
      'merge/073_item_commitment_history.sql',
      'merge/074_daily_committed_through.sql',
    ]);
    expect(params(transaction)).toMatchObject({
      history_from: { type: 'TIMESTAMP', value: expect.stringMatching(/^2026-01-01[T ]00:00:00/) as unknown },
      // No day held yet: the mart starts at the first changed day and holds through the chunk's end.
      days_prev: { type: 'TIMESTAMP', value: null },
      days_through: { type: 'TIMESTAMP', value: expect.stringMatching(/^2026-01-03[T ]00:00:00/) as unknown },
      days_floor: { type: 'TIMESTAMP', value: expect.stringMatching(/^2026-01-01[T ]00:00:00/) as unknown },
      holder: { type: 'STRING', value: 'merger-host-1' },
    });
    expect(transaction?.configuration.labels).toMatchObject({ run_id: report.chunks[0]?.runId });
    for (const job of fake.jobs) {
      expect(job.jobReference.location).toBe('EU');
      expect(job.configuration.query.useLegacySql).toBe(false);
      expect(job.configuration.dryRun).toBeUndefined();
      expect(job.configuration.labels).toMatchObject({ app: 'rims-merger', team: 'data' });
      // Values travel as parameters, never in the text.
      expect(job.configuration.query.query).not.toContain('merger-host-1');
      expect(job.configuration.query.query).not.toContain('2026-01');
    }

    // Every step under the lease carries a job timeout that ends before the lease (15 minutes, just
    // renewed) can expire, less the margin: a MERGE cannot commit after another run took over.
    const underLease = fake.jobs.filter((job) =>
      /^(merge-|transaction)/.test(job.configuration.labels.step ?? ''),
    );
    expect(underLease).toHaveLength(10);
    for (const job of underLease) {
      const timeout = Number(job.configuration.jobTimeoutMs);
      expect(timeout, job.configuration.labels.step).toBeGreaterThan(800_000);
      expect(timeout, job.configuration.labels.step).toBeLessThanOrEqual(900_000 - 30_000);
    }

    const core = jobFor('merge/020_core_item_events.sql');
    const runId = report.chunks[0]?.runId ?? '';
    expect(core?.configuration.labels).toEqual({
      app: 'rims-merger',
      team: 'data',
      component: 'merge',
      mode: 'incremental',
      holder: 'merger-host-1',
      run_id: runId,
      step: 'merge-020_core_item_events',
    });
    expect(core?.configuration.query.parameterMode).toBe('named');
    expect(params(core)).toEqual({
      window_from: { type: 'TIMESTAMP', value: expect.stringMatching(/^1970-01-01[T ]00:00:00/) as unknown },
      window_to: { type: 'TIMESTAMP', value: expect.stringMatching(/^2026-01-03[T ]00:00:00/) as unknown },
      min_time: { type: 'TIMESTAMP', value: expect.stringMatching(/^2026-01-01[T ]00:00:00/) as unknown },
      max_time: {
        type: 'TIMESTAMP',
        value: expect.stringMatching(/^2026-01-02[T ]00:00:00\.001/) as unknown,
      },
      merged_at: { type: 'TIMESTAMP', value: expect.any(String) as unknown },
      run_id: { type: 'STRING', value: runId },
      holder: { type: 'STRING', value: 'merger-host-1' },
    });
    expect(Object.keys(params(jobFor('merge/010_window.sql'))).sort()).toEqual(['window_from', 'window_to']);
    expect(params(jobFor('lease/acquire.sql'))).toEqual({
      holder: { type: 'STRING', value: 'merger-host-1' },
      ttl_seconds: { type: 'INT64', value: 900 },
    });
    expect(params(jobFor('lease/renew.sql'))).toEqual({
      holder: { type: 'STRING', value: 'merger-host-1' },
      ttl_seconds: { type: 'INT64', value: 900 },
    });
    expect(params(jobFor('runs/finish.sql'))).toMatchObject({
      outcome: { type: 'STRING', value: 'succeeded' },
      bytes_processed: { type: 'INT64', value: 10 * 1048576 },
      error: { type: 'STRING', value: null },
    });
  });

  it('dry-runs every statement, reports the bytes to be processed, and writes nothing', async () => {
    const report = await runMerge(warehouse, {
      dryRun: true,
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-01T12:00:00Z'),
    });
    expect(report.outcome).toBe('dry-run');
    expect(report.chunks[0]?.bytesProcessed).toBe(12 * 1048576);
    expect(fake.jobs.map((job) => job.configuration.labels.step)).toEqual([
      'merge-010_window',
      'merge-020_core_item_events',
      'merge-030_core_item_events_rejected',
      'merge-040_item_commitment_state',
      'merge-050_pipeline_heartbeats',
      'merge-065_daily_committed_through',
      'merge-070_item_history_spans',
      'merge-071_item_history_bounds',
      'merge-072_daily_committed',
      'merge-073_item_commitment_history',
      'merge-074_daily_committed_through',
      'merge-075_item_state_discrepancies',
    ]);
    for (const job of fake.jobs) {
      expect(job.configuration.dryRun).toBe(true);
      expect(job.configuration.labels).toMatchObject({ mode: 'repair', component: 'merge' });
    }
    expect(fake.requests.filter((request) => request.path.includes('/queries/'))).toEqual([]);
  });

  it('provisions datasets in the location, then applies the DDL as unparameterised scripts', async () => {
    const steps = await provisionWarehouse(warehouse, {
      rawTable: { partition: 'HOUR', partitionExpirationDays: 30 },
    });
    const created = fake.requests.filter(
      (request) => request.method === 'POST' && request.path.endsWith('/datasets'),
    );
    expect(created.map((request) => request.body)).toEqual(
      ['rims_raw', 'rims_core', 'rims_analytics'].map((datasetId) => ({
        datasetReference: { datasetId },
        location: 'EU',
      })),
    );
    expect(steps.slice(0, 3).map((step) => step.status)).toEqual(['created', 'created', 'created']);
    const raw = fake.jobs.find((job) =>
      job.configuration.query.query.includes('CREATE TABLE IF NOT EXISTS `rims_raw`.item_events'),
    );
    expect(raw?.configuration.query.query).toContain('PARTITION BY TIMESTAMP_TRUNC(publish_time, HOUR)');
    expect(raw?.configuration.query.query).toContain('partition_expiration_days = 30');
    expect(raw?.configuration.query.queryParameters).toBeUndefined();
    expect(new Set(fake.jobs.map((job) => job.configuration.labels.component))).toEqual(
      new Set(['provision']),
    );

    // Additive schema patch of the raw table: the missing RECORD field and columns, appended.
    const patch = fake.requests.find((request) => request.method === 'PATCH');
    const fields = (patch?.body as { schema: { fields: { name: string; fields?: { name: string }[] }[] } })
      .schema.fields;
    expect(fields.slice(0, 2).map((field) => field.name)).toEqual(['id', 'data']);
    expect(fields[1]?.fields?.map((field) => field.name)).toEqual([
      'item_id',
      'order_id',
      'sku',
      'location_id',
      'reason',
      'quantity',
      'shipment_id',
      'status',
      'replica',
      'sent_at',
    ]);
    expect(fields.map((field) => field.name)).toEqual(
      expect.arrayContaining(['publish_time', 'attributes', 'traceparent']),
    );
    expect(
      steps.filter((step) => step.action.startsWith('add column data.')).map((step) => step.action),
    ).toEqual([
      'add column data.quantity INT64 to rims_raw.item_events (new in the event catalogue)',
      'add column data.shipment_id STRING to rims_raw.item_events (new in the event catalogue)',
      'add column data.status STRING to rims_raw.item_events (new in the event catalogue)',
      'add column data.replica STRING to rims_raw.item_events (new in the event catalogue)',
      'add column data.sent_at STRING to rims_raw.item_events (new in the event catalogue)',
    ]);

    fake.reset();
    const again = await provisionWarehouse(warehouse);
    expect(again.slice(0, 3).map((step) => step.status)).toEqual(['exists', 'exists', 'exists']);
  });

  it('creates the BigQuery subscription with the table schema, metadata, dropped unknown fields and a dead-letter policy', () => {
    expect(
      rawSubscriptionRequest(
        { kind: 'bigquery', bigQueryTable: 'acme-prod.rims_raw.item_events', maxDeliveryAttempts: 10 },
        'projects/acme-prod/topics/rims-item-events-dead-letter',
      ),
    ).toEqual({
      bigqueryConfig: {
        table: 'acme-prod.rims_raw.item_events',
        useTableSchema: true,
        writeMetadata: true,
        dropUnknownFields: true,
      },
      deadLetterPolicy: {
        deadLetterTopic: 'projects/acme-prod/topics/rims-item-events-dead-letter',
        maxDeliveryAttempts: 10,
      },
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 600 } },
      messageRetentionDuration: { seconds: 604_800 },
      enableMessageOrdering: false,
    });
    expect(() => rawSubscriptionRequest({ kind: 'bigquery', bigQueryTable: 'item_events' }, 'dlq')).toThrow(
      /PROJECT\.DATASET\.TABLE/,
    );
    expect(() => rawSubscriptionRequest({ kind: 'pull', maxDeliveryAttempts: 3 }, 'dlq')).toThrow(
      /from 5 to 100/,
    );
  });
});
