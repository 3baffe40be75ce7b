import { holdsAtMost, type PositionList } from './position-list.js';
import { statement } from './statement.js';

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

/**
 * Lists of subjects and positions to leave out that a generic plan can compare element by element
 * for every row it reads at no real cost (64 comparisons per row).
 */
const SHORT_LIST = 64;

/**
 * fetch-pending.sql: the next pending events of some partitions, in position order.
 *
 * Prepared while what it leaves out is short, as in steady traffic, where the relay fetches
 * hundreds of times a second and parsing and planning were 80 % of a fetch's backend CPU (235 µs a
 * fetch finding a few rows, 44 µs prepared). With many events in flight, as while a backlog drains,
 * it is planned on every run, so that PostgreSQL hashes the positions in flight: in a generic plan
 * `<> ALL($5)` compares each row with each of them (640 ms a fetch with 20,000 in flight, 7 ms
 * hashed).
 */
export const fetchPending = statement<
  [
    partitions: readonly number[],
    skipSubjects: readonly string[],
    highest: string,
    limit: number,
    skipPositions: PositionList,
  ],
  PendingRow
>('postgres/relay/fetch-pending.sql', {
  prepared: ([, skipSubjects, , , skipPositions]) =>
    skipSubjects.length <= SHORT_LIST && holdsAtMost(skipPositions, SHORT_LIST),
});

/** mark-published.sql: records that Pub/Sub accepted these events. */
export const markPublished = statement<[positions: PositionList]>('postgres/relay/mark-published.sql');

/** record-failure.sql: no row when the event was published or parked meanwhile. */
export const recordFailure = statement<
  [position: string, error: string, permanent: boolean, maxAttempts: number],
  { attempts: number; dead: boolean }
>('postgres/relay/record-failure.sql');

/** max-position.sql: the newest position, where `--once` stops. */
export const maxPosition = statement<[], { position: string }>('postgres/relay/max-position.sql');

/** A partition `--once` still waits for (once-remaining.sql). */
export interface RemainingPartition {
  readonly lease_partition: number;
  readonly pending: string;
  /** The replica holding its lease, if any, and until when. */
  readonly owner: string | null;
  readonly expires_at: string | null;
}

/** once-remaining.sql: what is left of a `--once` backlog, by partition. */
export const onceRemaining = statement<[highest: string], RemainingPartition>(
  'postgres/relay/once-remaining.sql',
);
