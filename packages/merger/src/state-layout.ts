/**
 * DuckDB's State layout: `rims_core.item_commitment_state` is a view over a base table and a small
 * table of recent changes (see sql/duckdb/ddl/030_core_item_commitment_state.sql for why). Runs
 * merge into recent; this module moves recent into base when it has grown, and upgrades a State
 * table of an earlier release to the layout. BigQuery partitions State instead and needs neither.
 */
import type { Datasets } from './datasets.js';
import type { RunStep } from './history.js';
import { intParam, stringParam } from './params.js';
import { statementRunner } from './statement-runner.js';
import type { QueryParam, Warehouse } from './warehouse/warehouse.js';

/**
 * Recent changes move into base once they number a tenth of base, and at least this many: each
 * move reads base (8 s for 5,000,000 items on a loaded 2-core machine), so at a tenth the runs in
 * between pay, spread over them, a share that follows their own events, whatever the size of State.
 */
export const STATE_COMPACTION_MIN_ROWS = 50_000;

const COMPACTION = {
  due: 'state/compaction_due.sql',
  steps: ['state/010_delete_superseded.sql', 'state/020_insert_recent.sql', 'state/030_delete_absorbed.sql'],
} as const;

/** What {@link compactStateIfDue} found and did. */
export interface StateCompaction {
  readonly recentRows: number;
  readonly baseRows: number;
  /** Whether recent was moved into base. */
  readonly compacted: boolean;
}

/**
 * On DuckDB, moves State's recent changes into its base when they are due. Each of the three
 * steps leaves the State view showing the same rows and can be rerun, so a run that stops between
 * them leaves nothing wrong; a run that lost its lease changes nothing (the steps are fenced).
 */
export async function compactStateIfDue(
  step: RunStep,
  values: Record<string, QueryParam>,
  minRows: number = STATE_COMPACTION_MIN_ROWS,
): Promise<StateCompaction> {
  const due = (await step(COMPACTION.due, { ...values, min_rows: intParam(minRows) })).rows[0] ?? {};
  const found = { recentRows: Number(due.recent_rows ?? 0), baseRows: Number(due.base_rows ?? 0) };
  if (due.due !== true) return { ...found, compacted: false };
  for (const path of COMPACTION.steps) await step(path, values);
  return { ...found, compacted: true };
}

/**
 * Provisioning, DuckDB: a State table made by a release before the recent/base layout is renamed
 * to the base, before ddl/030 creates recent and the view under the old name. Returns whether
 * there was one to rename (`dryRun`: renames nothing).
 */
export async function upgradeStateLayout(
  warehouse: Warehouse,
  datasets: Datasets,
  dryRun = false,
): Promise<boolean> {
  const statements = statementRunner(warehouse, datasets, { component: 'provision' });
  const kind = await statements.run('state/upgrade_kind.sql', { schema: stringParam(datasets.core) });
  if (kind.rows[0]?.table_type !== 'BASE TABLE') return false;
  if (!dryRun) await statements.run('state/upgrade_rename.sql');
  return true;
}
