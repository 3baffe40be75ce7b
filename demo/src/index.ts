/**
 * @rims/demo (private): the sample RIMS application, its traffic, and reconciliation, shared by
 * `pnpm demo` and the end-to-end tests.
 */
export {
  InventoryService,
  createInventorySchema,
  seedItems,
  seedExistingItems,
  type ExistingItems,
  type InventoryDatabase,
  type ItemsTable,
  type ChangeResult,
} from './inventory-service.js';
export { backfillItems, describeBackfill, bootstrappedLine, DEMO_BACKFILL_QUERY } from './bootstrap.js';
export { runTraffic, type TrafficOptions, type TrafficStats } from './traffic.js';
export { seededRandom } from '@rims/test-harness';
export {
  postgresTruth,
  warehouseState,
  reconcile,
  describeReconciliation,
  type ItemState,
  type Reconciliation,
} from './reconcile.js';
export {
  startLocalPipeline,
  type LocalPipeline,
  type LocalPipelineOptions,
  type PipelineCounts,
} from './local-pipeline.js';
