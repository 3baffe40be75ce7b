/**
 * Every BigQuery statement, checked by ZetaSQL (the SQL front end BigQuery is built on): parsed,
 * then analyzed against a catalog built from our own BigQuery DDL, with each query parameter typed
 * as the BigQuery client sends it and BigQuery's language options. Twice: on a fresh provision, and
 * after an upgrade (the raw table of an older release, patched as `provision` patches it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawItemEventsColumns } from '@rims/schemas';
import {
  DEFAULT_DATASETS,
  STATEMENT_FOLDERS,
  missingColumns,
  rebuildHistory,
  renderFolder,
  runAudit,
  runCheck,
  runMerge,
  statementsOfTransactionScript,
  withColumns,
  type ExistingColumn,
  type RenderedStatement,
} from '../src/index.js';
import { bigQueryLanguageOptions } from './zetasql/bigquery-options.js';
import { DdlCatalog, type CatalogColumn } from './zetasql/catalog.js';
import { startZetaSql, zetaSqlMessage, type ZetaSqlServer } from './zetasql/server.js';
import { FakeBigQuery, fakeBigQueryWarehouse, sentType } from './fake-bigquery.js';
import { patchedTypes } from './zetasql/types.js';
import { unfilteredPartitionScans } from './zetasql/partition-filters.js';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';

let server: ZetaSqlServer;
let language: LanguageOptionsProto;
/** Parameter types per statement text, as the client sent them to the local BigQuery endpoint. */
const sentTypes = new Map<string, Record<string, string>>();

/**
 * Scans of a partitioned table left unfiltered on purpose. audit/subjects.sql compares the State
 * version of every item the audited span (7 days by default) touched: over days of traffic that is
 * most State buckets anyway, read once a day by the daily audit (see sql/bigquery/README.md).
 */
const UNFILTERED_BY_DESIGN = [
  'audit/subjects.sql: rims_core.item_commitment_state (item_bucket)',
  // `rims-merger rebuild-history` (an operator's maintenance command, never part of a run):
  // history, spans and daily_committed replaced in full from all of Core, as it must.
  'history/rebuild_000_event_times.sql: rims_core.item_events (time)',
  'history/rebuild_010_history_delete.sql: rims_core.item_commitment_history (valid_from)',
  'history/rebuild_020_history_insert.sql: rims_core.item_commitment_history (valid_from)',
  'history/rebuild_020_history_insert.sql: rims_core.item_events (time)',
  'history/rebuild_030_spans_delete.sql: rims_core.item_history_spans (item_bucket)',
  'history/rebuild_040_spans_insert.sql: rims_core.item_history_spans (item_bucket)',
  'history/rebuild_040_spans_insert.sql: rims_core.item_commitment_history (valid_from)',
  'history/rebuild_050_daily_delete.sql: rims_analytics.daily_committed (day)',
  'history/rebuild_060_daily_insert.sql: rims_analytics.daily_committed (day)',
  'history/rebuild_060_daily_insert.sql: rims_core.item_commitment_history (valid_from)',
  // The full rebuild of history from Core (a check and a maintenance query, never part of a run).
  'history/rebuilt.sql: rims_core.item_events (time)',
];

/**
 * Views reading a partitioned table in full on purpose: "right now" views over State (every item's
 * current state is the answer). Raw (in the live view) and history (in as_of) are always filtered.
 */
const UNFILTERED_DEFINITIONS_BY_DESIGN = [
  'rims_analytics.potentially_committed_items: rims_core.item_commitment_state (item_bucket)',
  'rims_analytics.committed_quantity_by_location_sku: rims_core.item_commitment_state (item_bucket)',
  'rims_analytics.item_commitment_live: rims_core.item_commitment_state (item_bucket)',
];

/**
 * The columns each Core table has had since the first release. A table an older release created has
 * these; every column added since must be added to it by the DDL (`ADD COLUMN IF NOT EXISTS`), as
 * `provision` re-applies the DDL on every deploy. New columns never go here.
 */
const FIRST_RELEASE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  item_events: [
    'id',
    'type',
    'source',
    'subject',
    'time',
    'sequence',
    'data',
    'traceparent',
    'message_id',
    'publish_time',
    'merged_at',
    'run_id',
  ],
  item_events_rejected: [
    'message_id',
    'publish_time',
    'subscription_name',
    'reason',
    'specversion',
    'id',
    'source',
    'type',
    'subject',
    'time',
    'sequence',
    'datacontenttype',
    'data',
    'traceparent',
    'attributes',
    'rejected_at',
    'run_id',
  ],
  item_commitment_state: [
    'item_id',
    'status',
    'order_id',
    'sku',
    'quantity',
    'location_id',
    'is_potentially_committed',
    'version',
    'last_event_id',
    'last_event_time',
    'updated_at',
  ],
  merge_runs: [
    'run_id',
    'mode',
    'holder',
    'started_at',
    'finished_at',
    'window_from',
    'window_to',
    'lookback_seconds',
    'raw_rows',
    'core_inserted',
    'rejected_inserted',
    'state_changed',
    'bytes_processed',
    'duration_ms',
    'outcome',
    'error',
  ],
  merge_lease: ['name', 'holder', 'acquired_at', 'expires_at'],
};

/** Statements no code path sends (operators run them from `rims-merger sql`), typed by hand. */
const UNSENT: Readonly<Record<string, Record<string, string>>> = {
  'runs/recent.sql': { limit: 'INT64' },
  // Example reports (README), typed as a report tool would send them.
  'reports/committed_per_location_per_day.sql': { month: 'TIMESTAMP' },
  'reports/item_history.sql': { item_id: 'STRING', since: 'TIMESTAMP' },
  'reports/committed_as_of.sql': { ts: 'TIMESTAMP' },
};

beforeAll(async () => {
  server = await startZetaSql();
  language = await bigQueryLanguageOptions(server);
  // Every statement the merger sends, with the parameters the client sends: an incremental run,
  // a repair run of two chunks, a dry run and an audit, against a local stand-in for the REST API.
  const fake = new FakeBigQuery();
  const warehouse = await fakeBigQueryWarehouse(fake);
  try {
    const now = new Date('2026-01-03T00:00:00Z');
    await runMerge(warehouse, { now });
    await runMerge(warehouse, { now, from: new Date('2026-01-01T00:00:00Z'), to: now });
    await runMerge(warehouse, { now, dryRun: true });
    await runAudit(warehouse, { now });
    await runCheck(warehouse, { now });
    await rebuildHistory(warehouse, { now });
    await rebuildHistory(warehouse, { now, dryRun: true });
  } finally {
    await fake.close();
  }
  for (const job of fake.jobs) {
    const types = Object.fromEntries(
      (job.configuration.query.queryParameters ?? []).map((param) => [
        param.name,
        sentType(param.parameterType),
      ]),
    );
    // A transaction is one script job: each of its statements was sent with the script's parameters.
    const text = job.configuration.query.query;
    const parts = statementsOfTransactionScript(text).map((part) => part.sql);
    const sent = parts.length > 0 ? parts : [text];
    for (const sql of sent) sentTypes.set(sql.trim(), { ...sentTypes.get(sql.trim()), ...types });
  }
});
afterAll(async () => {
  await server.stop();
});

const ddl = () => renderFolder('bigquery', 'ddl', DEFAULT_DATASETS);
const statements = () =>
  STATEMENT_FOLDERS.filter((folder) => folder !== 'ddl').flatMap((folder) =>
    renderFolder('bigquery', folder, DEFAULT_DATASETS),
  );

/** Builds a catalog from the DDL; returns it with every DDL failure. */
async function provisioned(): Promise<{ catalog: DdlCatalog; failures: string[] }> {
  const catalog = new DdlCatalog(server, language);
  const failures: string[] = [];
  for (const { path, sql } of ddl()) {
    await catalog.apply(sql, path).catch((error: unknown) => failures.push((error as Error).message));
  }
  return { catalog, failures };
}

/** Resolved statements by path, from the last {@link analyzeAll}. */
const resolved = new Map<string, unknown>();

/** Parses, then analyzes, each statement with the parameter types the client sends; every failure. */
async function analyzeAll(catalog: DdlCatalog, list: readonly RenderedStatement[]): Promise<string[]> {
  const failures: string[] = [];
  resolved.clear();
  for (const { path, sql } of list) {
    const takesParameters = /@[a-z_]/.test(sql.replace(/--[^\n]*/g, ''));
    const types = sentTypes.get(sql.trim()) ?? UNSENT[path] ?? (takesParameters ? undefined : {});
    if (!types) {
      failures.push(`${path}: no code path sends it, so its parameter types are unknown; add it to UNSENT`);
      continue;
    }
    try {
      await server.parse({ sqlStatement: sql, options: language });
    } catch (error) {
      failures.push(`${path}: parse: ${zetaSqlMessage(error)}`);
      continue;
    }
    await catalog.analyze(sql, types).then(
      (response) => resolved.set(path, response.resolvedStatement),
      (error: unknown) => {
        failures.push(`${path}: analyze: ${(error as Error).message}`);
      },
    );
  }
  return failures;
}

/** ZetaSQL columns as the warehouse reports them (names, RECORD fields nested). */
function asExisting(columns: readonly CatalogColumn[]): ExistingColumn[] {
  const walk = (name: string, type: CatalogColumn['type']): ExistingColumn => {
    const fields = type.structType?.field ?? [];
    return fields.length > 0
      ? { name, fields: fields.map((field) => walk(field.fieldName ?? '', field.fieldType ?? {})) }
      : { name };
  };
  return columns.map((column) => walk(column.name, column.type));
}

describe('BigQuery SQL under ZetaSQL analysis', () => {
  it('sends every statement it runs with typed parameters (the analysis below depends on it)', () => {
    const sent = statements().filter(({ sql }) => sentTypes.has(sql.trim()));
    expect(sent.length).toBeGreaterThan(10);
    expect(
      sentTypes.get(
        statements()
          .find((s) => s.path === 'merge/010_window.sql')
          ?.sql.trim() ?? '',
      ),
    ).toEqual({
      window_from: 'TIMESTAMP',
      window_to: 'TIMESTAMP',
    });
  });

  it('provisions: every DDL statement parses and analyzes, in order, against what the earlier ones created', async () => {
    const { catalog, failures } = await provisioned();
    expect(failures).toEqual([]);
    expect(catalog.columns('rims_raw', 'item_events')?.map((column) => column.name)).toEqual(
      rawItemEventsColumns().map((column) => column.name),
    );
  });

  it('analyzes every merge, lease, run-log and audit statement on a fresh provision', async () => {
    const { catalog } = await provisioned();
    expect(await analyzeAll(catalog, statements())).toEqual([]);
  });

  it('filters every scan of a partitioned table, MERGE targets included, on its partition column', async () => {
    const { catalog } = await provisioned();
    expect(Object.fromEntries(catalog.partitionColumns)).toEqual({
      'rims_raw.item_events': 'publish_time',
      'rims_core.item_events': 'time',
      'rims_core.pipeline_heartbeats': 'time',
      'rims_core.item_events_rejected': 'publish_time',
      'rims_core.item_commitment_state': 'item_bucket',
      'rims_core.item_commitment_history': 'valid_from',
      'rims_core.item_history_spans': 'item_bucket',
      'rims_analytics.daily_committed': 'day',
      'rims_core.item_state_discrepancies': 'snapshot_time',
    });
    expect(await analyzeAll(catalog, statements())).toEqual([]);
    const unfiltered = [...resolved].flatMap(([path, statement]) =>
      unfilteredPartitionScans(statement, catalog.partitionColumns).map((scan) => `${path}: ${scan}`),
    );
    expect(unfiltered).toEqual(UNFILTERED_BY_DESIGN);
    // Views and table functions: every scan of a partitioned table filtered, but those listed.
    const inDefinitions = [...catalog.definitions].flatMap(([name, statement]) =>
      unfilteredPartitionScans(statement, catalog.partitionColumns).map((scan) => `${name}: ${scan}`),
    );
    expect(inDefinitions).toEqual(UNFILTERED_DEFINITIONS_BY_DESIGN);
    // The check itself: a Core lookup without its time bounds is caught.
    const unbounded = await catalog.analyze(
      'SELECT COUNT(*) AS n FROM `rims_core`.item_events AS c WHERE c.id = @id',
      { id: 'STRING' },
    );
    expect(unfilteredPartitionScans(unbounded.resolvedStatement, catalog.partitionColumns)).toEqual([
      'rims_core.item_events (time)',
    ]);
  });

  it('adds the views and table functions DDL creates to the catalog, with their columns', async () => {
    const { catalog } = await provisioned();
    await catalog.apply(
      `CREATE OR REPLACE TABLE FUNCTION \`rims_analytics\`.committed_as_of(ts TIMESTAMP) AS
       SELECT item_id, version FROM \`rims_core\`.item_commitment_state WHERE last_event_time <= ts`,
      'a table function',
    );
    await expect(
      catalog.analyze(
        'SELECT v.item_id, f.version FROM `rims_analytics`.potentially_committed_items AS v JOIN `rims_analytics`.committed_as_of(@ts) AS f USING (item_id)',
        { ts: 'TIMESTAMP' },
      ),
    ).resolves.toBeDefined();
    await expect(
      catalog.analyze('SELECT status FROM `rims_analytics`.committed_as_of(@ts)', { ts: 'TIMESTAMP' }),
    ).rejects.toThrow(/Unrecognized name: status/);
    await expect(
      catalog.analyze('SELECT item_bucket FROM `rims_analytics`.potentially_committed_items'),
    ).rejects.toThrow(/Unrecognized name: item_bucket/);
  });

  it('evolves Core and State: the DDL adds every column since the first release to tables an older release made', async () => {
    const { catalog } = await provisioned();
    const fresh = new Map(
      Object.keys(FIRST_RELEASE_COLUMNS).map((table) => [
        table,
        (catalog.columns('rims_core', table) ?? []).map((column) => column.name),
      ]),
    );
    for (const [table, columns] of Object.entries(FIRST_RELEASE_COLUMNS)) {
      const all = catalog.columns('rims_core', table) ?? [];
      expect(
        all.map((column) => column.name),
        table,
      ).toEqual(expect.arrayContaining([...columns]));
      catalog.setColumns(
        'rims_core',
        table,
        all.filter((column) => columns.includes(column.name)),
      );
    }
    for (const { path, sql } of ddl()) await catalog.apply(sql, path);
    for (const [table, columns] of fresh) {
      expect(
        (catalog.columns('rims_core', table) ?? []).map((column) => column.name).sort(),
        `columns of rims_core.${table} after provision on an older release's table`,
      ).toEqual([...columns].sort());
    }
  });

  it('analyzes every statement after an upgrade: a data field added, the raw table patched as provision patches it', async () => {
    const { catalog } = await provisioned();
    const raw = catalog.columns('rims_raw', 'item_events') ?? [];
    // An older release's raw table: its data RECORD lacked `quantity` (a field in the middle of the
    // catalogue's order). provision then appends the missing field, as a schema patch does.
    const older = raw.map((column) =>
      column.name === 'data'
        ? {
            ...column,
            type: {
              ...column.type,
              structType: {
                field: (column.type.structType?.field ?? []).filter(
                  (field) => field.fieldName !== 'quantity',
                ),
              },
            },
          }
        : column,
    );
    const missing = missingColumns(rawItemEventsColumns(), asExisting(older));
    expect(missing.map((entry) => entry.path)).toEqual(['data.quantity']);
    const patched = withColumns(asExisting(older), missing);
    catalog.setColumns('rims_raw', 'item_events', patchedTypes(patched, older, missing));
    // And State as a release before its partition column made it; the DDL adds the column again.
    const state = catalog.columns('rims_core', 'item_commitment_state') ?? [];
    catalog.setColumns(
      'rims_core',
      'item_commitment_state',
      state.filter((column) => column.name !== 'item_bucket'),
    );
    expect(
      asExisting(catalog.columns('rims_raw', 'item_events') ?? []).find((c) => c.name === 'data'),
    ).toEqual(expect.objectContaining({ fields: expect.arrayContaining([{ name: 'quantity' }]) as unknown }));
    // The release's DDL runs again on the patched table (provision applies it on every deploy).
    const failures: string[] = [];
    for (const { path, sql } of ddl()) {
      await catalog.apply(sql, path).catch((error: unknown) => failures.push((error as Error).message));
    }
    failures.push(...(await analyzeAll(catalog, statements())));
    expect(failures).toEqual([]);
    expect(catalog.columns('rims_core', 'item_commitment_state')?.map((column) => column.name)).toContain(
      'item_bucket',
    );
  });
});
