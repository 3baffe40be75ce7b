/**
 * A ZetaSQL catalog built from our own BigQuery DDL: each statement is analyzed against the catalog
 * built so far, and what it creates (a table, a view, a SQL function, a table function) is added
 * with the columns and signature ZetaSQL resolved. Nothing is declared by hand, so the catalog is
 * what `provision` would leave in BigQuery.
 */
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';
import type { SimpleCatalogProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleCatalogProto.js';
import type { SimpleTableProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleTableProto.js';
import type { FunctionProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/FunctionProto.js';
import type { TableValuedFunctionProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TableValuedFunctionProto.js';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto.js';
import type { AnalyzeResponse__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/AnalyzeResponse.js';
import { analyzerOptions } from './bigquery-options.js';
import { zetaSqlMessage, type ZetaSqlServer } from './server.js';

/** A column as ZetaSQL resolved it. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: TypeProto;
}

interface Dataset {
  readonly tables: Map<string, CatalogColumn[]>;
  readonly functions: Map<string, FunctionProto>;
  readonly tableFunctions: Map<string, TableValuedFunctionProto>;
}

/** The first value under `key` in a resolved AST (depth first). */
function find(node: unknown, key: string): unknown {
  if (node === null || typeof node !== 'object') return undefined;
  if (key in node) return (node as Record<string, unknown>)[key];
  for (const value of Object.values(node)) {
    const found = find(value, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Which resolved node a statement is, such as `resolvedCreateTableStmtNode`. */
function has(node: unknown, key: string): boolean {
  return find(node, key) !== undefined && find(node, key) !== null;
}

/** ResolvedCreateStatement.CreateMode: CREATE_DEFAULT, CREATE_OR_REPLACE, CREATE_IF_NOT_EXISTS. */
const CREATE_IF_NOT_EXISTS = 2;

/** Comment and blank lines only: nothing left to analyze. */
const isBlank = (text: string) => text.replace(/--[^\n]*/g, '').trim() === '';

/** Tables, views, functions and table functions, by dataset, as the DDL created them. */
export class DdlCatalog {
  private readonly datasets = new Map<string, Dataset>();
  /** `dataset.table` -> its partition column, from the DDL's PARTITION BY. */
  readonly partitionColumns = new Map<string, string>();
  /** Views and table functions the DDL created, resolved, by `dataset.name`: their scans can be checked. */
  readonly definitions = new Map<string, unknown>();

  constructor(
    private readonly server: ZetaSqlServer,
    private readonly language: LanguageOptionsProto,
  ) {}

  private dataset(name: string): Dataset {
    let dataset = this.datasets.get(name);
    if (!dataset) {
      dataset = { tables: new Map(), functions: new Map(), tableFunctions: new Map() };
      this.datasets.set(name, dataset);
    }
    return dataset;
  }

  /** The catalog as the ZetaSQL service takes it: one sub-catalog per dataset, BigQuery's builtins. */
  proto(): SimpleCatalogProto {
    const catalog: SimpleCatalogProto[] = [...this.datasets].map(([name, dataset]) => ({
      name,
      table: [...dataset.tables].map(([table, columns]): SimpleTableProto => ({
        name: table,
        fullName: `${name}.${table}`,
        column: columns.map((column) => ({ name: column.name, type: column.type })),
      })),
      customFunction: [...dataset.functions.values()],
      customTvf: [...dataset.tableFunctions.values()],
    }));
    return { name: 'bigquery', catalog, builtinFunctionOptions: { languageOptions: this.language } };
  }

  /** The columns of a table or view, or undefined. */
  columns(dataset: string, table: string): CatalogColumn[] | undefined {
    return this.datasets.get(dataset)?.tables.get(table);
  }

  /** Replaces a table's columns (what an ALTER or a schema patch leaves). */
  setColumns(dataset: string, table: string, columns: CatalogColumn[]): void {
    this.dataset(dataset).tables.set(table, columns);
  }

  /** Analyzes one statement against the catalog as it is now; throws ZetaSQL's message. */
  async analyze(
    sql: string,
    parameters: Readonly<Record<string, string>> = {},
  ): Promise<AnalyzeResponse__Output> {
    try {
      return await this.server.analyze({
        options: analyzerOptions(this.language, parameters),
        simpleCatalog: this.proto(),
        sqlStatement: sql,
      });
    } catch (error) {
      throw new Error(zetaSqlMessage(error), { cause: error });
    }
  }

  /**
   * Analyzes every statement of a DDL script in order, adding what each creates before the next
   * is analyzed (so `ALTER TABLE` and `INSERT` after a `CREATE TABLE` see the table).
   *
   * @throws naming the script and ZetaSQL's message (with line and column) of the first failure
   */
  async apply(script: string, name: string): Promise<void> {
    let position = 0;
    const bytes = Buffer.from(script, 'utf8');
    while (!isBlank(bytes.subarray(position).toString('utf8'))) {
      let response: AnalyzeResponse__Output;
      try {
        response = await this.server.analyze({
          options: analyzerOptions(this.language, {}),
          simpleCatalog: this.proto(),
          parseResumeLocation: { input: script, bytePosition: position, allowResume: true },
        });
      } catch (error) {
        throw new Error(`${name}: ${zetaSqlMessage(error)}`, { cause: error });
      }
      this.add(response.resolvedStatement);
      if (response.resumeBytePosition <= position) break;
      position = response.resumeBytePosition;
    }
  }

  private add(statement: unknown): void {
    const namePath = find(statement, 'namePath') as string[] | undefined;
    if (namePath?.length !== 2) return;
    const [datasetName = '', objectName = ''] = namePath;
    const dataset = this.dataset(datasetName);
    if (has(statement, 'resolvedCreateTableStmtNode')) {
      // CREATE TABLE IF NOT EXISTS leaves a table that exists as it is (an older release's, patched).
      if (find(statement, 'createMode') === CREATE_IF_NOT_EXISTS && dataset.tables.has(objectName)) return;
      const definitions = find(statement, 'columnDefinitionList') as { name: string; type: TypeProto }[];
      const partitionBy = find(statement, 'partitionByList') as unknown[] | undefined;
      const partitionColumn = find(partitionBy ?? [], 'column') as { name: string } | undefined;
      if (partitionColumn) this.partitionColumns.set(`${datasetName}.${objectName}`, partitionColumn.name);
      dataset.tables.set(
        objectName,
        definitions.map((column) => ({ name: column.name, type: column.type })),
      );
    } else if (has(statement, 'resolvedAlterTableStmtNode')) {
      // ADD COLUMN [IF NOT EXISTS]: the column joins the table (an older release's table gains it).
      const table = dataset.tables.get(objectName) ?? [];
      for (const action of (find(statement, 'alterActionList') as unknown[] | undefined) ?? []) {
        const added = find(action, 'columnDefinition') as { name: string; type: TypeProto } | undefined;
        if (added && !table.some((column) => column.name === added.name))
          table.push({ name: added.name, type: added.type });
      }
      dataset.tables.set(objectName, table);
    } else if (has(statement, 'resolvedCreateViewStmtNode')) {
      this.definitions.set(`${datasetName}.${objectName}`, statement);
      const output = find(statement, 'outputColumnList') as { name: string; column: { type: TypeProto } }[];
      dataset.tables.set(
        objectName,
        output.map((column) => ({ name: column.name, type: column.column.type })),
      );
    } else if (has(statement, 'resolvedCreateTableFunctionStmtNode')) {
      this.definitions.set(`${datasetName}.${objectName}`, statement);
      const output = find(statement, 'outputColumnList') as { name: string; column: { type: TypeProto } }[];
      const signature = find(statement, 'signature') as NonNullable<TableValuedFunctionProto['signature']>;
      dataset.tableFunctions.set(objectName, {
        namePath: [objectName],
        type: 'FIXED_OUTPUT_SCHEMA_TVF',
        signature: {
          ...signature,
          returnType: {
            kind: 'ARG_TYPE_RELATION',
            options: {
              relationInputSchema: {
                column: output.map((column) => ({ name: column.name, type: column.column.type })),
              },
            },
          },
        },
      });
    } else if (has(statement, 'resolvedCreateFunctionStmtNode')) {
      // Registered as a templated SQL function: each call re-resolves the body with the argument
      // types of that call, as BigQuery does for `ANY TYPE` parameters; typed ones must match first.
      const signature = find(statement, 'signature') as NonNullable<FunctionProto['signature']>[number];
      dataset.functions.set(objectName, {
        namePath: [objectName],
        group: 'Templated_SQL_Function',
        mode: 'SCALAR',
        signature: [signature],
        parseResumeLocation: { input: find(statement, 'code') as string, bytePosition: 0 },
        templatedSqlFunctionArgumentName: find(statement, 'argumentNameList') as string[],
      });
    }
  }
}
