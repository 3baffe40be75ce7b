import { listSql, readSql, renderSql } from '@rims/sql';
import type { Datasets } from './datasets.js';
import type { Dialect } from './dialect.js';
import { MergerConfigError } from './errors.js';

/** Partitioning of `rims_raw.item_events` by publish time. */
export type RawPartition = 'DAY' | 'HOUR';

/** Settings of the raw table that the BigQuery DDL takes (DuckDB has no partitions). */
export interface RawTableOptions {
  /** `DAY` (default) or `HOUR` partitions of `publish_time`. */
  readonly partition: RawPartition;
  /** Days after which BigQuery drops a raw partition (may be fractional); default 60. */
  readonly partitionExpirationDays: number;
}

/** Raw table defaults: daily partitions kept 60 days. */
export const DEFAULT_RAW_TABLE: RawTableOptions = { partition: 'DAY', partitionExpirationDays: 60 };

/** One SQL file of a dialect, rendered. */
export interface RenderedStatement {
  /** Path under the dialect's folder of @rims/sql, such as `merge/020_core_item_events.sql`. */
  readonly path: string;
  readonly sql: string;
}

function renderOptions(template: string, options: RawTableOptions): string {
  return template.replace(/\{\{option:([a-z_]+)\}\}/g, (_, name: string) => {
    switch (name) {
      case 'raw_partition':
        // Checked at run time too: the options may come from untyped callers.
        if (!['DAY', 'HOUR'].includes(options.partition))
          throw new MergerConfigError(`raw partition '${options.partition}' must be DAY or HOUR`);
        return options.partition;
      case 'raw_partition_expiration_days': {
        const days = options.partitionExpirationDays;
        if (!Number.isFinite(days) || days <= 0)
          throw new MergerConfigError(
            `raw partition expiration ${String(days)} days must be a positive number of days`,
          );
        return String(Math.round(days * 1000) / 1000);
      }
      default:
        throw new MergerConfigError(`SQL template has an unknown option {{option:${name}}}`);
    }
  });
}

/**
 * Puts each `{{fragment:name}}` of a template in place: the text of `fragments/name.sql` of the
 * dialect, a subquery two statements share (written once, so they cannot drift apart); fragments
 * may include fragments.
 */
function includeFragments(template: string, dialect: Dialect, depth = 0): string {
  if (depth > 3) throw new MergerConfigError('SQL fragments nest more than 3 deep; is one including itself?');
  return template.replace(/\{\{fragment:([a-z_]+)\}\}/g, (_, name: string) =>
    includeFragments(
      readSql(`${dialect}/fragments/${name}.sql`)
        .replace(/^--[^\n]*\n/gm, '')
        .trim(),
      dialect,
      depth + 1,
    ),
  );
}

/**
 * Renders one SQL file of a dialect: dataset names as quoted identifiers, raw-table options as
 * validated literals. Values never enter the text: they travel as query parameters.
 *
 * @example renderStatement('duckdb', 'merge/040_item_commitment_state.sql', DEFAULT_DATASETS)
 */
export function renderStatement(
  dialect: Dialect,
  path: string,
  datasets: Datasets,
  rawTable: RawTableOptions = DEFAULT_RAW_TABLE,
): string {
  const template = renderOptions(includeFragments(readSql(`${dialect}/${path}`), dialect), rawTable);
  return renderSql(template, { ...datasets }, dialect);
}

/** Every file of a folder (`ddl`, `merge`, `audit` ...) of a dialect, rendered, in file-name order. */
export function renderFolder(
  dialect: Dialect,
  folder: string,
  datasets: Datasets,
  rawTable: RawTableOptions = DEFAULT_RAW_TABLE,
): RenderedStatement[] {
  return listSql(`${dialect}/${folder}`).map((file) => {
    const path = file.slice(dialect.length + 1);
    return { path, sql: renderStatement(dialect, path, datasets, rawTable) };
  });
}

/** The folders `rims-merger sql` prints, in the order an operator applies them. */
export const STATEMENT_FOLDERS = [
  'ddl',
  'merge',
  'lease',
  'runs',
  'audit',
  'check',
  'history',
  'reports',
] as const;
