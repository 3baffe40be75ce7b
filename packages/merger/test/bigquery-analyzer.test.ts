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
  renderFolder,
  runAudit,
  runMerge,
  withColumns,
  type ExistingColumn,
  type RenderedStatement,
} from '../src/index.js';
import { bigQueryLanguageOptions } from './zetasql/bigquery-options.js';
import { DdlCatalog, type CatalogColumn } from './zetasql/catalog.js';
import { startZetaSql, zetaSqlMessage, type ZetaSqlServer } from './zetasql/server.js';
import { FakeBigQuery, fakeBigQueryWarehouse } from './fake-bigquery.js';
import { patchedTypes } from './zetasql/types.js';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';

let server: ZetaSqlServer;
let language: LanguageOptionsProto;
/** Parameter types per statement text, as the client sent them to the local BigQuery endpoint. */
const sentTypes = new Map<string, Record<string, string>>();

/** Statements no code path sends (operators run them from `rims-merger sql`), typed by hand. */
const UNSENT: Readonly<Record<string, Record<string, string>>> = { 'runs/recent.sql': { limit: 'INT64' } };

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
  } finally {
    await fake.close();
  }
  for (const job of fake.jobs) {
    const types = Object.fromEntries(
      (job.configuration.query.queryParameters ?? []).map((param) => [param.name, param.parameterType.type]),
    );
    sentTypes.set(job.configuration.query.query, { ...sentTypes.get(job.configuration.query.query), ...types });
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

/** Parses, then analyzes, each statement with the parameter types the client sends; every failure. */
async function analyzeAll(catalog: DdlCatalog, list: readonly RenderedStatement[]): Promise<string[]> {
  const failures: string[] = [];
  for (const { path, sql } of list) {
    const takesParameters = /@[a-z_]/.test(sql.replace(/--[^\n]*/g, ''));
    const types = sentTypes.get(sql) ?? UNSENT[path] ?? (takesParameters ? undefined : {});
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
    await catalog.analyze(sql, types).catch((error: unknown) => {
      failures.push(`${path}: analyze: ${(error as Error).message}`);
    });
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
    const sent = statements().filter(({ sql }) => sentTypes.has(sql));
    expect(sent.length).toBeGreaterThan(10);
    expect(sentTypes.get(statements().find((s) => s.path === 'merge/010_window.sql')?.sql ?? '')).toEqual({
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
                field: (column.type.structType?.field ?? []).filter((field) => field.fieldName !== 'quantity'),
              },
            },
          }
        : column,
    );
    const missing = missingColumns(rawItemEventsColumns(), asExisting(older));
    expect(missing.map((entry) => entry.path)).toEqual(['data.quantity']);
    const patched = withColumns(asExisting(older), missing);
    catalog.setColumns('rims_raw', 'item_events', patchedTypes(patched, older, missing));
    expect(asExisting(catalog.columns('rims_raw', 'item_events') ?? []).find((c) => c.name === 'data')).toEqual(
      expect.objectContaining({ fields: expect.arrayContaining([{ name: 'quantity' }]) as unknown }),
    );
    // The release's DDL runs again on the patched table (provision applies it on every deploy).
    const failures: string[] = [];
    for (const { path, sql } of ddl()) {
      await catalog.apply(sql, path).catch((error: unknown) => failures.push((error as Error).message));
    }
    failures.push(...(await analyzeAll(catalog, statements())));
    expect(failures).toEqual([]);
  });
});
