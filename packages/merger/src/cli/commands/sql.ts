import { DEFAULT_DATASETS } from '../../datasets.js';
import type { Dialect } from '../../dialect.js';
import { STATEMENT_FOLDERS, renderFolder } from '../../statements.js';
import { parseWarehouseUrl } from '../../warehouse/url.js';
import { EXIT, rawTableOptions, type CommandContext } from '../context.js';

/** `rims-merger sql [--dialect bigquery|duckdb]`: every statement, rendered, with a header per file. */
export function sqlCommand({ config, out }: CommandContext): number {
  const dialect: Dialect = config['--dialect'] ?? parseWarehouseUrl(config.warehouseUrl).kind;
  for (const folder of STATEMENT_FOLDERS) {
    for (const statement of renderFolder(dialect, folder, DEFAULT_DATASETS, rawTableOptions(config))) {
      out(`-- ===== ${dialect}/${statement.path}`);
      out(statement.sql.trimEnd());
      out('');
    }
  }
  return EXIT.ok;
}
