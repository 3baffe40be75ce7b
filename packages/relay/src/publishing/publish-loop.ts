// Past 300 lines on purpose: the loop's timing rules (the pause after a costly fetch, the linger,
// waiting for room, the idle NOTIFY mark) share a few fields and read best beside the run loop that
// applies them. What a batch does is in send-batch.ts; the ordering rules in publish-scheduler.ts.
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { describeFailure } from '../failure-kind.js';
import type { LeaseKeeper } from '../lease-keeper.js';
import type { MarkQueue } from '../mark-queue.js';
import type { RelayMetrics } from '../metrics.js';
import { MAX_POSITION, type PendingRow } from '../queries/index.js';
import type { TracerLike } from '../telemetry.js';
import type { WaitingMark } from '../waiting-mark.js';
import { WakeSignal } from '../wake-signal.js';
import { reportFailureDecision } from './failure-report.js';
import { sendBatch } from './send-batch.js';
import { observeHeartbeatLag } from './heartbeat-lag.js';
import type { OutboxPort, RemainingPartition } from './outbox-port.js';
import {
  PublishScheduler,
  type BatchOutcome,
  type PublishCommand,
  type RecordFailureCommand,
} from './publish-scheduler.js';
import type { PublishPort } from './pubsub-port.js';

/**
 * An event Pub/Sub accepted, as reported to `onPublished`.
 *
 * @example const seen = new Set<string>(); createRelay({ onPublished: (events) => { for (const e of events) seen.add(e.id); } })
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
 * @example createRelay({ onDead: (event) => { console.error(`${event.id} parked: ${event.error}`); } })
 */
export interface ParkedEvent extends PublishedEvent {
  readonly error: string;
  readonly attempts: number;
}

/** After a fetch that found less than a full batch, no fetch for this many times its duration. */
const FETCH_PAUSE_FACTOR = 4;

/** Settings and collaborators of {@link PublishLoop}. */
export interface PublishLoopOptions {
  readonly outbox: OutboxPort;
  readonly pubsub: PublishPort;
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

/**
 * The publishing loop: runs the fetches, publishes, records and waits that the
 * {@link PublishScheduler} (the ordering logic, pure) asks for, and tells it every outcome. It
 * decides only about time: when to look for work again (linger while busy, NOTIFY when idle).
 */
export class PublishLoop {
  private readonly scheduler: PublishScheduler<PendingRow>;
  private readonly wake = new WakeSignal();
  private settledWaiters: (() => void)[] = [];
  private stopping = false;
  private databaseFailures = 0;
  private lastError: string | undefined;
  /** Monotonic time the relay last had work: a fetch found events, or publishes were outstanding. */
  private lastBusyAt = performance.now();
  /** No fetch before this monotonic time (see {@link paceAfter}). */
  private nextFetchAt = 0;
  /** The loop waits for publishes to settle before it fetches again (see {@link afterBatch}). */
  private waitingForRoom = false;
  /**
   * Running `--once`: the newest position of the backlog it drains (set before its first fetch), and
   * every settled publish may be the last one the drain waits for.
   */
  private onceHighest: string | undefined;

  constructor(private readonly options: PublishLoopOptions) {
    this.scheduler = new PublishScheduler({
      batchSize: options.batchSize,
      maxInFlight: options.maxInFlight,
      backoff: options.backoff,
      slowPublishMs: options.publishTimeoutMs / 2,
    });
    options.metrics.requestWindow.set(this.scheduler.requestWindow);
  }

  /** Events handed to Pub/Sub and not yet recorded. */
  get eventsInFlight(): number {
    return this.scheduler.eventsInFlight;
  }

  /** True while Pub/Sub keeps failing for reasons that are not the events' (outage, permissions). */
  get pubsubFailing(): boolean {
    return this.scheduler.pubsubFailing;
  }

  /** Whether this replica is idle and has asked writers to NOTIFY (its row is in relay_waiting). */
  get waitingForWakeUp(): boolean {
    return this.options.waiting?.isMarked === true;
  }

  /** The last publish or database error, for the probes. */
  get lastFailure(): string | undefined {
    return this.lastError;
  }

  /** Wakes the loop: new events were committed, or a lease changed. */
  notify(): void {
    this.wake.notify();
  }

  /** Partitions were acquired, lost or released: a fetch running now is stale there. */
  leasesChanged(partitions: readonly number[]): void {
    this.scheduler.leasesChanged(partitions);
    if (partitions.length > 0) this.wake.notify();
  }

  /** Whether a partition has nothing outstanding, so its lease can be handed over. */
  isDrained(partition: number): boolean {
    return this.scheduler.isDrained(partition);
  }

  /**
   * What is left of the `--once` backlog now, by partition, from the database: in the partitions
   * this replica holds too, which the loop's own checks do not count while it still has work there.
   * Undefined before the backlog's bound is known, or when the database does not answer.
   */
  async onceRemaining(): Promise<RemainingPartition[] | undefined> {
    if (this.onceHighest === undefined) return undefined;
    try {
      return await this.options.outbox.remaining(this.onceHighest);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not count the events left');
      return undefined;
    }
  }

  /** Stops fetching new work; outstanding publishes continue (see {@link drained}). */
  stop(): void {
    this.stopping = true;
    this.scheduler.stop();
    this.wake.notify();
  }

  /** Resolves when every outstanding publish is settled and recorded. */
  drained(): Promise<void> {
    if (this.scheduler.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Publishes until {@link stop} is called. With `once`, returns instead when every event pending
   * up to the newest position at the start is published or parked dead, by this replica or by
   * another (`onRemaining` hears what is left at each check).
   *
   * @returns true when a `once` backlog was drained; false when stopped first
   */
  async run(once?: { onRemaining?: (left: readonly RemainingPartition[]) => void }): Promise<boolean> {
    const { outbox, leases, logger } = this.options;
    const highest = once ? await this.withDatabaseRetry(() => outbox.maxPosition()) : MAX_POSITION;
    if (once) this.onceHighest = highest;
    let lastRemainingCheck = -Infinity;

    while (!this.stopping) {
      const now = performance.now();
      // The pause after a costly fetch lasts while the window keeps a fetch costly: when a failure
      // wave empties it, the relay fetches again at once (it sat idle for up to 18 s after one).
      if (now < this.nextFetchAt && this.fetchScansBatch()) {
        // Wake-ups (publishes settling, NOTIFY, lease changes) within the pause fold into the fetch
        // at its end.
        await this.wake.wait(this.nextFetchAt - now);
        continue;
      }
      const plan = this.scheduler.nextFetch(now, leases.publishable(this.options.publishTimeoutMs));
      if (typeof plan !== 'object') {
        // Without a partition to publish, a wake-up has nothing to wake: writers need not NOTIFY.
        if (plan === 'no-partitions') void this.options.waiting?.unmark();
        const until = plan === 'paused' ? this.scheduler.pausedUntil - now : this.options.pollIntervalMs;
        if (once && plan === 'no-partitions' && this.scheduler.outstanding === 0) {
          if (await this.onceDone(highest, once.onRemaining)) return true;
          lastRemainingCheck = performance.now();
        }
        this.waitingForRoom = plan === 'window-full';
        await this.wake.wait(until);
        continue;
      }

      let rows: PendingRow[];
      const fetchStarted = performance.now();
      try {
        rows = await outbox.fetchPending(plan, highest);
        this.databaseFailures = 0;
      } catch (error) {
        this.scheduler.fetchFailed(plan.id);
        await this.databaseBackoff(error, 'could not fetch pending events');
        continue;
      }
      for (const command of this.scheduler.fetched(
        plan.id,
        rows,
        performance.now(),
        leases.publishable(this.options.publishTimeoutMs),
      )) {
        this.send(command);
      }
      if (rows.length > 0 || this.scheduler.outstanding > 0) this.lastBusyAt = performance.now();
      // Busy again: writers need not NOTIFY (the relay lingers instead). Not awaited: the removal is
      // off the publishing path. With idleAfterMs 0 the relay never lingers and keeps its mark.
      if (rows.length > 0 && this.options.idleAfterMs > 0) void this.options.waiting?.unmark();
      // More is waiting: fetch again at once while there is room, but not while most of the window
      // is in flight, when a fetch would mostly scan in-flight rows and find little.
      if (rows.length === plan.limit && this.scheduler.eventsInFlight <= this.lowWater()) continue;
      this.paceAfter(fetchStarted, rows.length === plan.limit);

      if (once && rows.length === 0 && this.scheduler.outstanding === 0) {
        // Nothing left here; the database says whether anything is left anywhere (partitions held
        // by other replicas, or by dead ones whose leases have yet to expire). Checked at most once
        // per poll interval.
        if (performance.now() - lastRemainingCheck >= this.options.pollIntervalMs) {
          if (await this.onceDone(highest, once.onRemaining)) return true;
          lastRemainingCheck = performance.now();
        }
      }
      const nextRetry = this.scheduler.nextRetryAt(performance.now());
      let waitMs = Math.min(
        this.options.pollIntervalMs,
        nextRetry === undefined ? Infinity : Math.max(1, nextRetry - performance.now()),
      );
      if (!once) {
        const next = await this.idleStep();
        if (next === 'fetch') continue;
        if (next === 'linger') waitMs = Math.min(waitMs, this.options.lingerMs);
      }
      this.waitingForRoom = this.heldBackByWindow();
      await this.wake.wait(waitMs);
    }
    logger.debug('publish loop stopped');
    // Not awaited, so an unreachable database cannot hold up the drain; deregistering removes the
    // mark too.
    void this.options.waiting?.unmark();
    return false;
  }

  /**
   * A fetch scans the rows in flight too (they stay pending until recorded), so with a batch or
   * more in flight one that finds less than a full batch costs about as much as the window, and
   * finds little. When such a fetch also took longer than the linger, the next look waits
   * `FETCH_PAUSE_FACTOR` times as long as it took: polling then takes at most a fifth of a database
   * connection's time, where it otherwise took most of it and slowed the marks (a 20,000-event
   * backlog took 77 fetches, 5.4 s of database time, mostly finding nothing; 7 with the pause).
   * Steady traffic keeps less than a batch in flight, so the relay lingers as before, and an idle
   * relay marks itself waiting and answers a NOTIFY at once. A full batch is fetched again at once.
   */
  private paceAfter(fetchStarted: number, full: boolean): void {
    const now = performance.now();
    const took = now - fetchStarted;
    const costly = !full && this.fetchScansBatch() && took > this.options.lingerMs;
    this.nextFetchAt = costly ? now + FETCH_PAUSE_FACTOR * took : 0;
  }

  /** Whether a `--once` backlog is drained; reports what is left otherwise. */
  private async onceDone(
    highest: string,
    onRemaining: ((left: readonly RemainingPartition[]) => void) | undefined,
  ): Promise<boolean> {
    let left: RemainingPartition[];
    try {
      left = await this.options.outbox.remaining(highest);
    } catch (error) {
      await this.databaseBackoff(error, 'could not count the events left');
      return false;
    }
    onRemaining?.(left);
    return left.length === 0;
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
      // finish wake the loop once the window has drained to half (see afterBatch()).
      return this.scheduler.eventsInFlight <= this.lowWater() ? 'linger' : 'wait';
    }
    // Without LISTEN a NOTIFY cannot reach this relay: leave writers alone and poll.
    if (listening?.() === false || !waiting.due(pollIntervalMs)) return 'wait';
    return (await waiting.mark()) ? 'fetch' : 'wait';
  }

  /** Hands one subject's batch to the client; its outcome comes back through afterSettled. */
  private send(command: PublishCommand<PendingRow>): void {
    const started = performance.now();
    sendBatch(command, this.scheduler, this.options, (outcome) => {
      void this.afterSettled(command, outcome, started);
    });
  }

  /** A batch settled: record what Pub/Sub accepted, then any failure that finished its subject. */
  private async afterSettled(
    command: PublishCommand<PendingRow>,
    outcome: BatchOutcome<PendingRow>,
    started: number,
  ): Promise<void> {
    const { metrics, logger } = this.options;
    try {
      let failure: RecordFailureCommand<PendingRow> | undefined;
      if (outcome.kind === 'mark') {
        const accepted = command.rows.slice(0, outcome.positions.length);
        metrics.publishSeconds.observe((performance.now() - started) / 1000);
        metrics.published.inc(accepted.length);
        observeHeartbeatLag(metrics, accepted);
        this.options.onPublished?.(
          accepted.map((row) => ({
            id: row.id,
            subject: row.subject,
            sequence: row.sequence,
            position: row.position,
          })),
        );
        await this.options.marks.mark(outcome.positions);
        failure = this.scheduler.marked(command.batchId);
      } else {
        failure = outcome.failure;
      }
      if (failure) {
        await this.recordFailure(failure);
        // The subject's retry time is known only now: the loop's wait was chosen without it.
        this.wake.notify();
      }
    } catch (error) {
      // Only a bug gets here. The subject stays blocked rather than risk its order.
      logger.error({ err: error, subject: command.subject }, 'unexpected error after a publish');
    }
    this.afterBatch();
  }

  private async recordFailure(failure: RecordFailureCommand<PendingRow>): Promise<void> {
    const { metrics, logger, outbox, maxAttempts } = this.options;
    const message = describeFailure(failure.error);
    this.lastError = message;
    metrics.retries.inc({ kind: failure.kind });
    let recorded;
    try {
      recorded = await outbox.recordFailure(failure.row.position, message, failure.permanent, maxAttempts);
    } catch (error) {
      logger.warn({ err: error, id: failure.row.id }, 'could not record a publish failure');
    }
    const decision = this.scheduler.failureRecorded(failure, recorded, performance.now());
    reportFailureDecision(decision, failure, message, this.options);
  }

  private afterBatch(): void {
    this.options.metrics.inFlight.set(this.scheduler.eventsInFlight);
    this.options.metrics.requestWindow.set(this.scheduler.requestWindow);
    if (this.scheduler.outstanding === 0) {
      for (const resolve of this.settledWaiters.splice(0)) resolve();
    }
    // A loop held back by the window fetches again once it has drained to half: one fetch then
    // serves many freed subjects, instead of one scan of the in-flight rows per finished publish.
    // Otherwise a settled publish wakes nothing: the loop lingers, so RELAY_LINGER bounds how
    // often it fetches (waking it here fetched once per publish, whatever the linger: 217 fetches
    // for 265 commits in 3 s with a 100 ms linger). A `--once` drain still looks at once, since
    // this may be the publish it waits for.
    if (!this.heldBackByWindow() && (this.waitingForRoom || this.onceHighest !== undefined)) {
      this.waitingForRoom = false;
      this.wake.notify();
    }
  }

  /**
   * More than half the window of events in flight, or every request the window allows: the loop
   * waits for publishes to settle rather than fetch (see afterBatch).
   */
  private heldBackByWindow(): boolean {
    return (
      this.scheduler.eventsInFlight > this.lowWater() ||
      this.scheduler.requestsInFlight >= this.scheduler.requestWindow
    );
  }

  /** A batch or more in flight: a fetch scans at least that many in-flight rows (see paceAfter). */
  private fetchScansBatch(): boolean {
    return this.scheduler.eventsInFlight >= this.options.batchSize;
  }

  private lowWater(): number {
    return Math.floor(this.options.maxInFlight / 2);
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
