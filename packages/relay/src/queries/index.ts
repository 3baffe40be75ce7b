/**
 * The relay's SQL (sql/postgres/relay/*.sql): one typed statement per file, its parameters and row
 * type stated beside it (leases.ts, publishing.ts, housekeeping.ts, operations.ts).
 */
import * as housekeeping from './housekeeping.js';
import * as leases from './leases.js';
import * as operations from './operations.js';
import * as publishing from './publishing.js';
import type { Statement, StatementObserver } from './statement.js';

export type { Queryable, Statement, StatementObserver } from './statement.js';
export { MAX_POSITION, type PendingRow, type RemainingPartition } from './publishing.js';
export { positionList, type PositionList } from './position-list.js';
export type { BacklogStats } from './housekeeping.js';
export type { DeadEventRow, ReplayBatchRow, ReplayPlanRow } from './operations.js';

const DECLARED = { ...leases, ...publishing, ...housekeeping, ...operations } as const;

type Declared = typeof DECLARED;
type StatementNames = {
  [K in keyof Declared]: Declared[K] extends (
    schema: string,
    observe?: StatementObserver,
  ) => Statement<readonly unknown[], object>
    ? K
    : never;
}[keyof Declared];

/** Every relay statement, rendered for one outbox schema. */
export type RelaySql = { readonly [K in StatementNames]: ReturnType<Declared[K]> };

/**
 * Renders every relay statement for `schema` (a checked identifier, see `outboxSchemaName`);
 * `observe` hears each statement run.
 */
export function relaySql(schema: string, observe?: StatementObserver): RelaySql {
  const rendered: Record<string, unknown> = {};
  for (const [name, declared] of Object.entries(DECLARED)) {
    if (typeof declared === 'function') rendered[name] = declared(schema, observe);
  }
  return rendered as RelaySql;
}
