import { assertIdentifier } from '@rims/sql';

/** The three tiers: BigQuery datasets, DuckDB schemas. */
export interface Datasets {
  readonly raw: string;
  readonly core: string;
  readonly analytics: string;
}

/** The contract's names: `rims_raw`, `rims_core`, `rims_analytics`. */
export const DEFAULT_DATASETS: Datasets = { raw: 'rims_raw', core: 'rims_core', analytics: 'rims_analytics' };

/** Validates dataset names (plain identifiers) and fills in the defaults. */
export function resolveDatasets(datasets: Partial<Datasets> = {}): Datasets {
  const resolved = { ...DEFAULT_DATASETS, ...datasets };
  for (const [tier, name] of Object.entries(resolved)) assertIdentifier(name, `${tier} dataset`, 'duckdb');
  return resolved;
}
