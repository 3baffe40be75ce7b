import type { Topic } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { eventMessage } from './event-message.js';
import { classifyFailure, describeFailure, type FailureKind } from './failure-kind.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { MarkQueue } from './mark-queue.js';
import type { RelayMetrics } from './metrics.js';
import { MAX_POSITION, type PendingRow, type Queryable, type RelaySql } from './queries.js';
import { SPAN_KIND_PRODUCER, SPAN_STATUS_ERROR, spanContextOf, type TracerLike } from './telemetry.js';
import type { WaitingMark } from './waiting-mark.js';
import { WakeSignal } from './wake-signal.js';

/**
 * An event Pub/Sub accepted, as reported to `onPublished`.
 *
 * @example createRelay({ onPublished: (events) => events.forEach((e) => seen.add(e.id)) })
 */
export interface PublishedEvent {
  readonly id: string;
  readonly subject: string;
  readonly sequence: string;
  readonly position: string;
}

/**
 * An event parked as dead, as reported to `onDead`.
 *
 * @example createRelay({ onDead: (event) => alert(`${event.id}: ${event.error}`) })
 */
export interface ParkedEvent extends PublishedEvent {
  readonly error: string;
  readonly attempts: number;
}

/** Settings of {@link PublishLoop}. */
export interface PublishLoopOptions {
  readonly db: Queryable;
  readonly sql: RelaySql;
  readonly topic: Topic;
  readonly leases: LeaseKeeper;
  readonly marks: MarkQueue;
  readonly metrics: RelayMetrics;
  readonly tracer: TracerLike;
  readonly logger: Logger;
  readonly topicName: string;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly pollIntervalMs: number;
  /** After a fetch found less than a full batch, look again this soon while the relay is active. */
  readonly lingerMs: number;
  /** After this long without work, mark the relay as waiting (writers NOTIFY) and wait for a wake-up. */
  readonly idleAfterMs: number;
  /** The relay's row in relay_waiting; without it (`--once`) the relay never asks for NOTIFY. */
  readonly waiting?: WaitingMark;
  /** Whether the LISTEN connection is up: marking the relay as waiting is pointless while it is not. */
  readonly listening?: () => boolean;
  readonly publishTimeoutMs: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly onPublished?: (events: readonly PublishedEvent[]) => void;
  readonly onDead?: (event: ParkedEvent) => void;
}

interface SubjectState {
  readonly partition: number;
  /** Publishes of this subject handed to the client and not yet finished (recorded, or failed and handled). */
  outstanding: number;
  /**
   * The earliest failed event of the subject, once a publish failed: nothing more is sent for the
   * subject until its outstanding publishes finish (the client rejects those queued behind the
   * failure), then the failure is recorded and the subject retried from its earliest unpublished event.
   */
  failure: { row: PendingRow; error: unknown; culpritKnown: boolean } | undefined;
  /** Monotonic time before which the subject is not retried (backoff after a failure). */
  retryAt: number;
  /** Consecutive failed attempts in this process, for the backoff. */
  failures: number;
  /** After Pub/Sub rejected a request of several events: send one event at a time to find the culprit. */
  isolate: boolean;
}

/**
 * The heart of the relay: finds pending events in the partitions this replica holds, publishes each
 * subject's events in order, records them as published, and handles failures.
 *
 * Ordering rules:
 * - Events go to the Pub/Sub client in position order per subject (which is sequence order), with
 *   the subject as ordering key: the client sends a key's batches one after the other, in order.
 * - An event stays "in flight" from the moment it is handed to the client until it is recorded as
 *   published (or its publish failed), and fetches leave in-flight events out, so a replica never
 *   publishes an event twice. A subject's later events can be sent while earlier ones are in flight
 *   (this pipelining is what gives the client full batches).
 * - When a publish fails, the client rejects every message queued behind it for that key. The
 *   subject is blocked at once (before any other work can run), nothing from the failed event on is
 *   recorded, the ordering key is resumed once all its publishes have finished, and the subject backs
 *   off and is retried from its earliest unpublished event.
 */
export class PublishLoop {
  private readonly subjects = new Map<string, SubjectState>();
  private readonly busyByPartition = new Map<number, number>();
  private readonly wake = new WakeSignal();
  /** Positions handed to the client and not yet recorded as published (or failed). */
  private readonly inFlight = new Set<string>();
  /** Publishes not yet finished, failure handling included. */
  private pending = 0;
  private settledWaiters: (() => void)[] = [];
  private stopping = false;
  private pauseUntil = 0;
  private systemicFailures = 0;
  private databaseFailures = 0;
  private lastError: string | undefined;
  /** Monotonic time the relay last had work: a fetch found events, or publishes were outstanding. */
  private lastBusyAt = performance.now();

  constructor(private readonly options: PublishLoopOptions) {}

  /** Events handed to Pub/Sub and not yet recorded. */
  get eventsInFlight(): number {
    return this.inFlight.size;
  }

  /** True while Pub/Sub keeps failing for reasons that are not the events' (outage, permissions). */
  get pubsubFailing(): boolean {
    return this.systemicFailures > 0;
  }

  /** Whether this replica is idle and has asked writers to NOTIFY (its row is in relay_waiting). */
  get waitingForWakeUp(): boolean {
    return this.options.waiting?.isMarked === true;
  }

  /** The last publish or database error, for the probes. */
  get lastFailure(): string | undefined {
    return this.lastError;
  }

  /** Wakes the loop: new events were committed, a lease changed, or a subject became free. */
  notify(): void {
    this.wake.notify();
  }

  /** Whether a partition has nothing outstanding, so its lease can be handed over. */
  isDrained(partition: number): boolean {
    return (this.busyByPartition.get(partition) ?? 0) === 0;
  }

  /** Stops fetching new work; outstanding publishes continue (see {@link drained}). */
  stop(): void {
    this.stopping = true;
    this.wake.notify();
  }

  /** Resolves when every outstanding publish is settled and recorded. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Publishes until {@link stop} is called. With `once`, returns instead when everything pending up
   * to the newest position at start (in the partitions held) is published or parked.
   */
  async run(once = false): Promise<void> {
    const { db, sql, leases, logger } = this.options;
    let highest = MAX_POSITION;
    if (once) {
      highest = await this.withDatabaseRetry(async () => {
        const rows = (await db.query<{ position: string }>(sql.maxPosition)).rows;
        return rows[0]?.position ?? '0';
      });
    }

    while (!this.stopping) {
      const now = performance.now();
      if (now < this.pauseUntil) {
        await this.wake.wait(this.pauseUntil - now);
        continue;
      }
      const partitions = leases.publishable(this.options.publishTimeoutMs);
      const room = this.options.maxInFlight - this.inFlight.size;
      if (partitions.length === 0 || room <= 0) {
        // Without a partition to publish, a wake-up has nothing to wake: writers need not NOTIFY.
        if (partitions.length === 0) void this.options.waiting?.unmark();
        if (once && this.pending === 0 && leases.lastSuccessAt !== undefined && leases.heldCount === 0) {
          logger.warn('no free lease partition: other relays hold them all and publish their events');
          return;
        }
        await this.wake.wait(this.options.pollIntervalMs);
        continue;
      }

      const limit = Math.min(this.options.batchSize, room);
      let rows: PendingRow[];
      try {
        rows = (
          await db.query<PendingRow>(sql.fetchPending, [
            partitions,
            this.blockedSubjects(now),
            highest,
            limit,
            [...this.inFlight],
          ])
        ).rows;
        this.databaseFailures = 0;
      } catch (error) {
        await this.databaseBackoff(error, 'could not fetch pending events');
        continue;
      }
      // Stopped while the fetch ran (the shutdown may not have waited for a slow one): send nothing.
      if (this.isStopping()) break;

      this.dispatch(rows);
      if (rows.length > 0 || this.pending > 0) this.lastBusyAt = performance.now();
      // Busy again: writers need not NOTIFY (the relay lingers instead). Not awaited: the removal is
      // off the publishing path. With idleAfterMs 0 the relay never lingers and keeps its mark.
      if (rows.length > 0 && this.options.idleAfterMs > 0) void this.options.waiting?.unmark();
      // More is waiting: fetch again at once while there is room, but not while most of the window
      // is in flight, when a fetch would mostly scan in-flight rows and find little.
      if (rows.length === limit && this.inFlight.size <= this.lowWater()) continue;
      if (once && rows.length === 0 && this.pending === 0 && this.nextRetryAt() === undefined) return;
      const nextRetry = this.nextRetryAt();
      let waitMs = Math.min(
        this.options.pollIntervalMs,
        nextRetry === undefined ? Infinity : Math.max(1, nextRetry - performance.now()),
      );
      if (!once) {
        const next = await this.idleStep();
        if (next === 'fetch') continue;
        if (next === 'linger') waitMs = Math.min(waitMs, this.options.lingerMs);
      }
      await this.wake.wait(waitMs);
    }
    // Not awaited, so an unreachable database cannot hold up the drain; deregistering removes the
    // mark too.
    void this.options.waiting?.unmark();
  }

  /**
   * What an active relay does after a fetch that found less than a full batch. Recently busy, it
   * lingers: it looks again after `lingerMs`, and writers do not NOTIFY, so under steady traffic no
   * commit pays for a notification. Idle for `idleAfterMs`, it marks itself as waiting (writers NOTIFY
   * from then on) and looks once more, since a writer may have checked just before the mark; then
   * it waits for a wake-up or the poll interval. The mark is re-asserted every poll interval.
   */
  private async idleStep(): Promise<'fetch' | 'linger' | 'wait'> {
    const { waiting, listening, idleAfterMs, pollIntervalMs } = this.options;
    if (!waiting) return 'wait';
    if (performance.now() - this.lastBusyAt < idleAfterMs) {
      // Most of the window in flight: a fetch would mostly scan in-flight rows. The publishes that
      // finish wake the loop once the window has drained to half (see finish()).
      return this.inFlight.size <= this.lowWater() ? 'linger' : 'wait';
    }
    // Without LISTEN a NOTIFY cannot reach this relay: leave writers alone and poll.
    if (listening?.() === false || !waiting.due(pollIntervalMs)) return 'wait';
    return (await waiting.mark()) ? 'fetch' : 'wait';
  }

  private dispatch(rows: readonly PendingRow[]): void {
    // Leases may have changed while the fetch ran (a partition marked for hand-over is released as
    // soon as nothing of it is in flight): publish only where this replica still may.
    const publishable = new Set(this.options.leases.publishable(this.options.publishTimeoutMs));
    const bySubject = new Map<string, PendingRow[]>();
    for (const row of rows) {
      if (this.inFlight.has(row.position) || !publishable.has(row.lease_partition)) continue;
      const list = bySubject.get(row.subject);
      if (list) list.push(row);
      else bySubject.set(row.subject, [row]);
    }
    const now = performance.now();
    for (const [subject, events] of bySubject) {
      let state = this.subjects.get(subject);
      if (!state) {
        state = {
          partition: events[0]?.lease_partition ?? 0,
          outstanding: 0,
          failure: undefined,
          retryAt: 0,
          failures: 0,
          isolate: false,
        };
        this.subjects.set(subject, state);
      }
      // The fetch may predate a failure seen since: check again, synchronously, before sending.
      if (state.failure || state.retryAt > now || (state.isolate && state.outstanding > 0)) continue;
      const batch = state.isolate ? events.slice(0, 1) : events;
      for (const row of batch) this.inFlight.add(row.position);
      state.outstanding += 1;
      this.pending += 1;
      this.busyByPartition.set(state.partition, (this.busyByPartition.get(state.partition) ?? 0) + 1);
      void this.publishBatch(subject, state, batch, state.isolate);
    }
    this.options.metrics.inFlight.set(this.inFlight.size);
  }

  private async publishBatch(
    subject: string,
    state: SubjectState,
    rows: readonly PendingRow[],
    alone: boolean,
  ): Promise<void> {
    const { topic, metrics, tracer, logger } = this.options;
    const links = rows
      .slice(0, 32)
      .map((row) => spanContextOf(row.traceparent))
      .filter((context) => context !== undefined)
      .map((context) => ({ context }));
    const span = tracer.startSpan(`${this.options.topicName} publish`, {
      kind: SPAN_KIND_PRODUCER,
      attributes: {
        'messaging.system': 'gcp_pubsub',
        'messaging.destination.name': this.options.topicName,
        'messaging.gcp_pubsub.message.ordering_key': subject,
        'messaging.batch.message_count': rows.length,
      },
      links,
    });
    const started = performance.now();
    try {
      const sends: Promise<string>[] = [];
      let localFailure: unknown;
      for (const [index, row] of rows.entries()) {
        try {
          sends.push(topic.publishMessage(eventMessage(row)));
        } catch (error) {
          // The event cannot be sent at all. Block the subject now, before awaiting the sends ahead
          // of it: a fetch meanwhile must not find the subject's later events and send them first.
          localFailure = error;
          this.recordSubjectFailure(state, row, error, true);
          for (const unsent of rows.slice(index)) this.inFlight.delete(unsent.position);
          break;
        }
      }
      const results = await Promise.allSettled(sends);
      const firstRejected = results.findIndex((result) => result.status === 'rejected');
      const acceptedCount = firstRejected === -1 ? results.length : firstRejected;
      const accepted = rows.slice(0, acceptedCount);

      // Before any further await: block the subject, so no later event of it is sent behind the
      // failure (the client has already rejected those queued behind it on the ordering key).
      const rejected = results[firstRejected];
      const failedRow = rows[acceptedCount];
      if (failedRow && (rejected?.status === 'rejected' || localFailure !== undefined)) {
        const error: unknown = rejected?.status === 'rejected' ? rejected.reason : localFailure;
        this.recordSubjectFailure(state, failedRow, error, rejected === undefined || alone);
        for (const row of rows.slice(acceptedCount)) this.inFlight.delete(row.position);
        span.recordException(describeFailure(error));
        span.setStatus({ code: SPAN_STATUS_ERROR, message: describeFailure(error) });
      }

      if (accepted.length > 0) {
        metrics.publishSeconds.observe((performance.now() - started) / 1000);
        metrics.published.inc(accepted.length);
        if (this.systemicFailures > 0) logger.info('Pub/Sub accepts publishes again');
        this.systemicFailures = 0;
        this.options.onPublished?.(
          accepted.map((row) => ({ id: row.id, subject, sequence: row.sequence, position: row.position })),
        );
        await this.options.marks.mark(accepted.map((row) => row.position));
        for (const row of accepted) this.inFlight.delete(row.position);
      }
    } catch (error) {
      // Only a bug gets here; the subject is retried after a backoff rather than lost.
      logger.error({ err: error, subject }, 'unexpected error while publishing a subject');
      for (const row of rows) this.inFlight.delete(row.position);
      state.failures += 1;
      state.retryAt = performance.now() + backoffDelay(state.failures, this.options.backoff);
    } finally {
      span.end();
      await this.finish(subject, state);
    }
  }

  /** Blocks `state`'s subject at its earliest failed event, which is retried once its publishes finish. */
  private recordSubjectFailure(
    state: SubjectState,
    row: PendingRow,
    error: unknown,
    culpritKnown: boolean,
  ): void {
    if (!state.failure || BigInt(row.position) < BigInt(state.failure.row.position)) {
      state.failure = { row, error, culpritKnown };
    }
  }

  /** One publish of `subject` finished: once all have, handle its failure, if any, and free it. */
  private async finish(subject: string, state: SubjectState): Promise<void> {
    state.outstanding -= 1;
    if (state.outstanding === 0) {
      const failure = state.failure;
      if (failure) {
        this.options.topic.resumePublishing(subject);
        await this.handleFailure(subject, state, failure.row, failure.error, failure.culpritKnown);
        state.failure = undefined;
      } else {
        state.failures = 0;
        state.isolate = false;
      }
      // A subject that is still failing keeps its state, so that its backoff keeps growing.
      if (state.failures === 0 && !state.isolate) this.subjects.delete(subject);
    }
    const busy = (this.busyByPartition.get(state.partition) ?? 1) - 1;
    if (busy > 0) this.busyByPartition.set(state.partition, busy);
    else this.busyByPartition.delete(state.partition);
    this.pending -= 1;
    this.options.metrics.inFlight.set(this.inFlight.size);
    if (this.pending === 0) {
      for (const resolve of this.settledWaiters.splice(0)) resolve();
    }
    // Freed subjects are fetched again once the window has drained to half: one fetch then serves
    // many of them, instead of one scan of the in-flight rows per finished publish.
    if (this.inFlight.size <= this.lowWater()) this.wake.notify();
  }

  /** A method, so that the check after an await is not narrowed away by the loop condition. */
  private isStopping(): boolean {
    return this.stopping;
  }

  private lowWater(): number {
    return Math.floor(this.options.maxInFlight / 2);
  }

  private async handleFailure(
    subject: string,
    state: SubjectState,
    failed: PendingRow,
    error: unknown,
    culpritKnown: boolean,
  ): Promise<void> {
    const { metrics, logger, backoff } = this.options;
    const kind: FailureKind = classifyFailure(error);
    const message = describeFailure(error);
    this.lastError = message;
    metrics.retries.inc({ kind });
    const now = performance.now();

    if (kind === 'systemic') {
      // Pub/Sub itself is unwell: pause every subject together rather than let each hammer it. The
      // subjects that fail in one wave (an outage fails them all at once) count as one failure, so
      // a blip costs one short pause, and each failed retry after a pause doubles it.
      if (now >= this.pauseUntil) this.systemicFailures += 1;
      const delay = backoffDelay(this.systemicFailures, backoff);
      this.pauseUntil = Math.max(this.pauseUntil, now + delay);
      if (this.systemicFailures === 1 || this.systemicFailures % 10 === 0) {
        logger.warn(
          { err: error, subject, failures: this.systemicFailures, retryInMs: delay },
          'Pub/Sub publish failed; backing off (no event is parked for this kind of error)',
        );
      }
      await this.recordFailure(failed, message, false);
      return;
    }

    if (!culpritKnown && !state.isolate) {
      // Pub/Sub rejected a request of several events: retry them one at a time to find the culprit.
      state.isolate = true;
      state.retryAt = now + backoff.initialMs;
      logger.warn({ err: error, subject }, 'Pub/Sub rejected a request; retrying its events one by one');
      return;
    }

    const outcome = await this.recordFailure(failed, message, true);
    if (outcome?.dead) {
      // Later events of the subject continue: the warehouse applies only higher sequences, so
      // publishing them is safe, and one bad event must not freeze an item for good.
      metrics.parkedDead.inc();
      state.failures = 0;
      state.isolate = false;
      state.retryAt = 0;
      logger.error(
        { subject, id: failed.id, sequence: failed.sequence, attempts: outcome.attempts, error: message },
        'event parked as dead; later events of its subject continue (see `rims-relay dead list`)',
      );
      this.options.onDead?.({
        id: failed.id,
        subject,
        sequence: failed.sequence,
        position: failed.position,
        error: message,
        attempts: outcome.attempts,
      });
      return;
    }
    state.failures += 1;
    state.retryAt = now + backoffDelay(state.failures, backoff);
    logger.warn(
      { subject, id: failed.id, attempts: outcome?.attempts, error: message },
      'event could not be published; will retry',
    );
  }

  private async recordFailure(
    row: PendingRow,
    message: string,
    permanent: boolean,
  ): Promise<{ attempts: number; dead: boolean } | undefined> {
    try {
      const result = await this.options.db.query<{ attempts: number; dead: boolean }>(
        this.options.sql.recordFailure,
        [row.position, message, permanent, this.options.maxAttempts],
      );
      return result.rows[0];
    } catch (error) {
      this.options.logger.warn({ err: error, id: row.id }, 'could not record a publish failure');
      return undefined;
    }
  }

  /** Subjects the next fetch leaves out: failed or backing off. Forgets subjects that are done. */
  private blockedSubjects(now: number): string[] {
    const blocked: string[] = [];
    for (const [subject, state] of this.subjects) {
      if (state.failure || state.retryAt > now || (state.isolate && state.outstanding > 0))
        blocked.push(subject);
      else if (state.outstanding === 0 && !state.isolate && state.failures === 0)
        this.subjects.delete(subject);
    }
    return blocked;
  }

  /** The earliest future time a backing-off subject may be retried, if any subject is backing off. */
  private nextRetryAt(): number | undefined {
    const now = performance.now();
    let next: number | undefined;
    for (const state of this.subjects.values()) {
      if (state.outstanding === 0 && state.retryAt > now && (next === undefined || state.retryAt < next))
        next = state.retryAt;
    }
    return next;
  }

  private async databaseBackoff(error: unknown, what: string): Promise<void> {
    this.databaseFailures += 1;
    this.lastError = describeFailure(error);
    const delay = backoffDelay(this.databaseFailures, this.options.backoff);
    this.options.logger.warn({ err: error, retryInMs: delay }, `${what}; retrying`);
    await this.wake.wait(delay);
  }

  private async withDatabaseRetry<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const value = await work();
        this.databaseFailures = 0;
        return value;
      } catch (error) {
        if (this.stopping) throw error;
        await this.databaseBackoff(error, 'database query failed');
      }
    }
  }
}
