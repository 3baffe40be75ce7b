import { readSql, renderSql } from '@rims/sql';

/**
 * What the relay's queries run on: a `pg.Pool`, a `pg.Client` or a `pg.PoolClient`.
 *
 * @example const db: Queryable = new pg.Pool({ connectionString });
 */
export interface Queryable {
  // The same generic signature as pg's, so a pg.Pool or pg.Client fits as it is.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

const FILES = {
  fetchPending: 'postgres/relay/fetch-pending.sql',
  markPublished: 'postgres/relay/mark-published.sql',
  recordFailure: 'postgres/relay/record-failure.sql',
  heartbeatReplica: 'postgres/relay/heartbeat-replica.sql',
  liveReplicas: 'postgres/relay/live-replicas.sql',
  renewLeases: 'postgres/relay/renew-leases.sql',
  acquireLeases: 'postgres/relay/acquire-leases.sql',
  releaseLeases: 'postgres/relay/release-leases.sql',
  deregisterReplica: 'postgres/relay/deregister-replica.sql',
  deletePublished: 'postgres/relay/delete-published.sql',
  backlogStats: 'postgres/relay/backlog-stats.sql',
  listDead: 'postgres/relay/list-dead.sql',
  retryDead: 'postgres/relay/retry-dead.sql',
  wakeRelays: 'postgres/relay/wake-relays.sql',
  maxPosition: 'postgres/relay/max-position.sql',
  onceRemaining: 'postgres/relay/once-remaining.sql',
  markWaiting: 'postgres/relay/mark-waiting.sql',
  unmarkWaiting: 'postgres/relay/unmark-waiting.sql',
  replayPlan: 'postgres/relay/replay-plan.sql',
  replayCount: 'postgres/relay/replay-count.sql',
  replayBatch: 'postgres/relay/replay-batch.sql',
} as const;

/** The relay's SQL (sql/postgres/relay/*.sql), rendered for one outbox schema. */
export type RelaySql = { readonly [K in keyof typeof FILES]: string };

const templates = new Map<string, string>();

/** Renders every relay query for `schema` (a checked identifier, see `outboxSchemaName`). */
export function relaySql(schema: string): RelaySql {
  const rendered: Record<string, string> = {};
  for (const [key, path] of Object.entries(FILES)) {
    let template = templates.get(path);
    if (template === undefined) {
      template = readSql(path);
      templates.set(path, template);
    }
    rendered[key] = renderSql(template, { schema }, 'postgres');
  }
  return rendered as RelaySql;
}

/** The largest bigint: "no upper bound" for the position filter of fetch-pending.sql. */
export const MAX_POSITION = '9223372036854775807';

/** A pending event as fetch-pending.sql returns it. */
export interface PendingRow {
  position: string;
  id: string;
  subject: string;
  sequence: string;
  type: string;
  source: string;
  time: string;
  /** The jsonb `data`, parsed by pg. */
  data: unknown;
  traceparent: string | null;
  attempts: number;
  lease_partition: number;
}
