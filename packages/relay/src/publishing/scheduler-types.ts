import type { BackoffOptions } from '../backoff.js';
import type { FailureKind } from '../failure-kind.js';

/* The publish scheduler's inputs and outputs (publish-scheduler.ts), for the loop, the ports and the simulation. */

/** What the scheduler needs of a pending event (fetch-pending.sql returns more). */
export interface SchedulerRow {
  /** Outbox position (a bigint as text); within a subject, position order is sequence order. */
  readonly position: string;
  readonly subject: string;
  readonly lease_partition: number;
}

/** Settings of {@link PublishScheduler}. */
export interface SchedulerSettings {
  /** Most rows one fetch returns. */
  readonly batchSize: number;
  /** Most events handed to Pub/Sub and not yet recorded, across subjects. */
  readonly maxInFlight: number;
  readonly backoff: BackoffOptions;
  /**
   * A batch accepted later than this after it was sent does not grow the request window: Pub/Sub is
   * keeping up only just (see RequestWindow). Default: every accepted batch grows it.
   */
  readonly slowPublishMs?: number;
  /** For backoff jitter; the simulation passes a seeded one. Default Math.random. */
  readonly random?: () => number;
}

/** A fetch of pending events the loop should run now (fetch-pending.sql's parameters). */
export interface FetchPlan {
  readonly id: number;
  readonly partitions: readonly number[];
  /** Subjects that must not be fetched: failed, recording a failure, or backing off. */
  readonly skipSubjects: readonly string[];
  /** Positions handed to Pub/Sub and not yet recorded: never fetched twice. */
  readonly skipPositions: readonly string[];
  /** At most the batch size, the room under maxInFlight, and 100 rows per request the window allows. */
  readonly limit: number;
}

/** Why {@link PublishScheduler.nextFetch} planned no fetch. */
export type NoFetch = 'stopping' | 'fetching' | 'paused' | 'no-partitions' | 'window-full';

/** Hand these rows, in this order, to the Pub/Sub client under ordering key `subject`. */
export interface PublishCommand<R extends SchedulerRow> {
  readonly batchId: number;
  readonly subject: string;
  readonly rows: readonly R[];
}

/** A subject's publishes have all finished after a failure: record it (record-failure.sql). */
export interface RecordFailureCommand<R extends SchedulerRow> {
  readonly subject: string;
  /** The subject's earliest failed event. */
  readonly row: R;
  readonly error: unknown;
  readonly kind: FailureKind;
  /**
   * Whether `row` is known to be the culprit: it could not even be built, or it was sent alone (in
   * isolation). A batch of one is not alone: the client may put messages of the next batch of the
   * subject into the same request.
   */
  readonly culpritKnown: boolean;
  /** Spend one of the event's attempts: a permanent failure of a known culprit. */
  readonly permanent: boolean;
}

/** Why the client rejected a message. */
export interface MessageFailure {
  readonly error: unknown;
  readonly kind: FailureKind;
  /** Known to be this message's own fault; default: when it was sent in isolation. */
  readonly culprit?: boolean;
}

/**
 * What to do once a batch has settled: record its accepted events as published (then call
 * `marked`), or nothing was accepted and the batch is done (maybe with a failure to record).
 */
export type BatchOutcome<R extends SchedulerRow> =
  | { readonly kind: 'mark'; readonly positions: readonly string[] }
  | { readonly kind: 'done'; readonly failure: RecordFailureCommand<R> | undefined };

/** What recording a failure found (record-failure.sql's row; undefined when the event was published meanwhile). */
export interface RecordedFailure {
  readonly attempts: number;
  readonly dead: boolean;
}

/** What the scheduler did with a recorded failure, for logs and metrics. */
export type FailureDecision =
  | { readonly action: 'pause'; readonly pauseMs: number; readonly systemicFailures: number }
  | { readonly action: 'isolate' }
  | { readonly action: 'park'; readonly attempts: number }
  | { readonly action: 'retry'; readonly attempts: number | undefined; readonly retryInMs: number };
