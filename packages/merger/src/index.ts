/**
 * @rims/merger: lands RIMS events from Pub/Sub and merges them, incrementally, into item-commitment
 * state on BigQuery (production) or a DuckDB file (locally).
 *
 * @example
 * import { openWarehouse, provisionWarehouse, createLander, runMerge, runAudit } from '@rims/merger';
 * const warehouse = await openWarehouse('duckdb:///tmp/rims/warehouse.duckdb');
 * await provisionWarehouse(warehouse);
 * await createLander({ warehouse, pubsub }).drain();
 * await runMerge(warehouse);
 * const audit = await runAudit(warehouse); // audit.clean
 */
export { openWarehouse } from './warehouse/open.js';
export { openDuckDbWarehouse } from './warehouse/duckdb.js';
export { openBigQueryWarehouse, type BigQueryWarehouseOptions } from './warehouse/bigquery.js';
export { parseWarehouseUrl, defaultWarehouseUrl, type WarehouseLocation } from './warehouse/url.js';
export type {
  Warehouse,
  QueryOptions,
  QueryParam,
  QueryResult,
  ParamType,
  TransactionStatement,
  TransactionOptions,
  TransactionResult,
} from './warehouse/warehouse.js';
export {
  transactionScript,
  statementsOfTransactionScript,
  type TransactionScript,
} from './warehouse/bigquery-transaction.js';
export { DEFAULT_DATASETS, resolveDatasets, type Datasets } from './datasets.js';
export type { Dialect } from './dialect.js';
export {
  DEFAULT_RAW_TABLE,
  STATEMENT_FOLDERS,
  renderStatement,
  renderFolder,
  type RawTableOptions,
  type RawPartition,
  type RenderedStatement,
} from './statements.js';
export {
  provisionWarehouse,
  provisionPubSub,
  rawSubscriptionRequest,
  DEFAULT_PUBSUB_NAMES,
  DEAD_LETTER_RETENTION,
  type ProvisionStep,
  type WarehouseProvisionOptions,
  type PubSubProvisionOptions,
  type RawSubscriptionKind,
} from './provision.js';
export { toRawRow, type LandedMessage, type RawRow, type RawRowResult } from './raw-row.js';
export { missingColumns, withColumns, type ExistingColumn, type MissingColumn } from './raw-schema.js';
export { createLander, type Lander, type LanderOptions, type LandReport } from './lander.js';
export {
  runMerge,
  readWatermark,
  chunkWindow,
  DEFAULT_LOOKBACK_MS,
  DEFAULT_LEASE_TTL_MS,
  MIN_LEASE_TTL_MS,
  DEFAULT_CHUNK_MS,
  type MergeOptions,
  type MergeReport,
  type MergeChunkReport,
} from './merge.js';
export {
  HISTORY_STATEMENTS,
  HISTORY_REBUILT,
  maintainHistory,
  heldDays,
  usesHistorySpans,
  startOfUtcDay,
  type RunStep,
  type RunTransaction,
  type MergedWindow,
  type HistoryChange,
} from './history.js';
export {
  rebuildHistory,
  rebuildDays,
  REBUILD_STATEMENTS,
  type RebuildHistoryOptions,
  type RebuildHistoryReport,
} from './history-rebuild.js';
export {
  STATE_COMPACTION_MIN_ROWS,
  compactStateIfDue,
  upgradeStateLayout,
  type StateCompaction,
} from './state-layout.js';
export {
  DISCREPANCY_STATEMENT,
  detectDiscrepancies,
  type StateDiscrepancy,
  type ItemStateColumns,
} from './discrepancies.js';
export { statementRunner, type StatementRunner, type StatementOptions } from './statement-runner.js';
export { MergeLease, newHolderId, type LeaseState } from './lease.js';
export {
  runAudit,
  DEFAULT_AUDIT_SPAN_MS,
  type AuditOptions,
  type AuditReport,
  type SubjectFinding,
  type SequenceGap,
  type MissingEvent,
} from './audit.js';
export { createScheduler, type Scheduler, type SchedulerOptions } from './schedule.js';
export { derivedSqlFiles } from './sql-generation/index.js';
export {
  NOOP_METER,
  NOOP_TRACER,
  type MeterLike,
  type GaugeMeterLike,
  type TracerLike,
  type SpanLike,
  type MetricAttributes,
} from './telemetry.js';
export { MERGER_METRIC_NAMES, type MergerMetricName } from './metric-names.js';
export {
  runCheck,
  formatCheckLine,
  type CheckOptions,
  type CheckReport,
  type CheckResult,
} from './check/check.js';
export { countWaitingMessages, DEAD_LETTER_COUNT_CAP } from './check/dead-letters.js';
export type { MergerLogger } from './logger.js';
export {
  mergerConfigSchema,
  loadMergerConfig,
  MERGER_SETTINGS,
  flagOf as mergerFlagOf,
  type MergerConfig,
} from './config.js';
export {
  MergerConfigError,
  WarehouseError,
  WarehouseLockedError,
  MergeLeaseError,
  MergeStoppedError,
  UndeliverableMessagesError,
} from './errors.js';
