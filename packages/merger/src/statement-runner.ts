import type { Datasets } from './datasets.js';
import { paramsFor } from './params.js';
import { renderStatement } from './statements.js';
import type { QueryParam, QueryResult, TransactionResult, Warehouse } from './warehouse/warehouse.js';

/** How one statement runs, beyond its file and values. */
export interface StatementOptions {
  /** Labels added to the runner's own (BigQuery job labels); `step` replaces the file-derived one. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Validate and estimate only (see {@link QueryOptions.dryRun}). */
  readonly dryRun?: boolean;
  /** Stop the statement after this long (see {@link QueryOptions.timeoutMs}). */
  readonly timeoutMs?: number;
}

/** Runs the SQL files of the warehouse's dialect: the one way merge, lease, run log and audit execute. */
export interface StatementRunner {
  /**
   * Renders `path` (such as `merge/020_core_item_events.sql`) for the warehouse's dialect, passes
   * the parameters it references from `values` (a missing one is an error naming it) and labels the
   * job with its step (`merge-020_core_item_events`).
   */
  run(
    path: string,
    values?: Readonly<Record<string, QueryParam>>,
    options?: StatementOptions,
  ): Promise<QueryResult>;
  /**
   * Renders and runs several files as one transaction (see {@link Warehouse.transaction}): all of
   * them apply or none does.
   */
  transaction(
    steps: readonly { readonly path: string; readonly values: Readonly<Record<string, QueryParam>> }[],
    options?: Pick<StatementOptions, 'labels' | 'timeoutMs'>,
  ): Promise<TransactionResult>;
}

/** A BigQuery label value: lower-case letters, digits, `_` and `-`, at most 63 characters. */
export function labelValue(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, 63);
}

/**
 * The statement runner of a warehouse and its datasets, labelling every job with `labels`.
 *
 * @example
 * const statements = statementRunner(warehouse, resolveDatasets(), { component: 'audit' });
 * const { rows } = await statements.run('runs/watermark.sql');
 */
export function statementRunner(
  warehouse: Warehouse,
  datasets: Datasets,
  labels: Readonly<Record<string, string>> = {},
): StatementRunner {
  return {
    run(path, values = {}, options = {}) {
      const sql = renderStatement(warehouse.dialect, path, datasets);
      return warehouse.query(sql, {
        params: paramsFor(sql, warehouse.dialect, values, path),
        labels: {
          ...labels,
          step: labelValue(path.replace(/\.sql$/, '').replace('/', '-')),
          ...options.labels,
        },
        statement: path,
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    },
    transaction(steps, options = {}) {
      const statements = steps.map(({ path, values }) => {
        const sql = renderStatement(warehouse.dialect, path, datasets);
        return { sql, params: paramsFor(sql, warehouse.dialect, values, path), statement: path };
      });
      return warehouse.transaction(statements, {
        labels: { ...labels, step: 'transaction', ...options.labels },
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    },
  };
}
