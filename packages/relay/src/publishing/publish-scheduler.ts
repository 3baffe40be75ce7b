import { backoffDelay } from '../backoff.js';
import { RequestWindow } from './request-window.js';
import type {
  BatchOutcome,
  FailureDecision,
  FetchPlan,
  MessageFailure,
  NoFetch,
  PublishCommand,
  RecordFailureCommand,
  RecordedFailure,
  SchedulerRow,
  SchedulerSettings,
} from './scheduler-types.js';

export type * from './scheduler-types.js';

/**
 * Rows fetched per request the window still allows. While the window is small (after systemic
 * failures) a full batch would mostly be rows the window cannot send: through an outage, each probe
 * of one subject fetched up to 5,000 rows. At 50 or more requests allowed, the batch size bounds.
 */
const ROWS_PER_ALLOWED_REQUEST = 100;

interface SubjectState<R extends SchedulerRow> {
  readonly partition: number;
  /** Publish batches of the subject handed to the client and not finished (recorded, or failed). */
  batches: number;
  /** The earliest failed event, from the first failure until the failure is recorded. */
  failure: Omit<RecordFailureCommand<R>, 'subject' | 'permanent'> | undefined;
  /** The failure is being recorded: the subject stays blocked until then. */
  recording: boolean;
  /** Time before which the subject is not published again (backoff after a failure). */
  retryAt: number;
  /** Consecutive failed attempts, for the backoff. */
  failures: number;
  /** After Pub/Sub rejected a request of several events: send one event at a time to find the culprit. */
  isolate: boolean;
  /** Logical time of the subject's last failure: fetch results issued before it are stale for it. */
  disruptedAt: number;
}

interface Batch<R extends SchedulerRow> {
  readonly subject: string;
  readonly rows: readonly R[];
  settled: number;
  /** Index of the first message the client rejected, if any. */
  firstFailed: number | undefined;
  /** Sent in isolation: one event, nothing else of its subject outstanding or sent behind it. */
  readonly alone: boolean;
  /** Cuts of the request window when the batch was sent (see RequestWindow.failed). */
  readonly windowCuts: number;
  /** When the batch was handed to the client, for its latency. */
  readonly sentAt: number;
}

/**
 * (One class past 300 lines on purpose: the ordering rules and the state they guard read in one
 * place, and the simulation drives exactly this class.)
 *
 * The relay's ordering logic as a pure, deterministic state machine: the loop feeds it fetch
 * results, publish outcomes, recorded marks and failures, lease changes and the time, and carries
 * out what it returns. It does no I/O and reads no clock, so a simulation can drive it through any
 * schedule (test/publish-scheduler.sim.test.ts).
 *
 * The invariant it keeps: a request carrying event e of subject s is handed to the client only when
 * every earlier unpublished event of s has been accepted by Pub/Sub or travels ahead of e in the same
 * client ordering queue (so that a failure of the earlier one takes e down too).
 * - A fetch leaves out the positions in flight, so its rows for s continue the chain in flight; they
 *   are dispatched only if nothing happened to s since the fetch was issued: no failure of s (its
 *   `disruptedAt`), no lease change of its partition, no systemic failure (the global pause).
 * - The first rejected message of s blocks s at once (the Pub/Sub client forgets a key's failure as
 *   soon as its queue drains, so it would send the next message for the key straight away).
 * - s is published again only after all its batches finished and the failure was recorded, and
 *   only from a fetch issued after that: from its earliest unpublished event.
 *
The loop's use of it: src/publishing/publish-loop.ts; every rule as a schedule:
 * test/publish-scheduler.test.ts.
 */
export class PublishScheduler<R extends SchedulerRow> {
  private readonly subjects = new Map<string, SubjectState<R>>();
  private readonly batches = new Map<number, Batch<R>>();
  private readonly inFlight = new Set<string>();
  private readonly busyByPartition = new Map<number, number>();
  private readonly partitionChangedAt = new Map<number, number>();
  private readonly random: () => number;
  /** Logical clock: fetch issues and disruptions are ordered by it. */
  private clock = 0;
  private fetch: { id: number; issuedAt: number } | undefined;
  private nextBatchId = 1;
  private pauseUntil = 0;
  private pausedAt = 0;
  private systemicFailures = 0;
  private recordings = 0;
  private stopping = false;
  /** Limits the publish requests in flight after systemic failures (see RequestWindow). */
  private readonly window: RequestWindow;
  /** Batches handed to the client whose messages have not all settled. */
  private requests = 0;

  constructor(private readonly settings: SchedulerSettings) {
    this.random = settings.random ?? Math.random;
    this.window = new RequestWindow(settings.slowPublishMs);
  }

  /** Events handed to Pub/Sub and not yet recorded (or failed). */
  get eventsInFlight(): number {
    return this.inFlight.size;
  }

  /** Publish batches not finished, plus failures being recorded: 0 means drained. */
  get outstanding(): number {
    return this.batches.size + this.recordings;
  }

  /** True from a systemic failure (outage, permissions) until Pub/Sub accepts a publish again. */
  get pubsubFailing(): boolean {
    return this.systemicFailures > 0;
  }

  /** Publish requests (subject batches) handed to the client and not yet settled. */
  get requestsInFlight(): number {
    return this.requests;
  }

  /** Publish requests allowed in flight now: Infinity unless Pub/Sub failed systemically. */
  get requestWindow(): number {
    return this.window.size;
  }

  /** Until when every subject waits after systemic failures. */
  get pausedUntil(): number {
    return this.pauseUntil;
  }

  /** Whether a partition has nothing outstanding, so its lease can be handed over. */
  isDrained(partition: number): boolean {
    return (this.busyByPartition.get(partition) ?? 0) === 0;
  }

  /** The earliest future time a backing-off subject may be published again, if any. */
  nextRetryAt(now: number): number | undefined {
    let next: number | undefined;
    for (const state of this.subjects.values()) {
      if (state.batches === 0 && !state.recording && state.retryAt > now) {
        if (next === undefined || state.retryAt < next) next = state.retryAt;
      }
    }
    return next;
  }

  /** No more fetches; outstanding publishes finish. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Partitions were acquired, lost or released: fetch results issued before this are stale there.
   * (Rows of a partition no longer publishable are dropped at dispatch anyway; this also covers a
   * partition lost and taken back while a fetch ran, when another replica may have published.)
   */
  leasesChanged(partitions: readonly number[]): void {
    if (partitions.length === 0) return;
    const at = ++this.clock;
    for (const partition of partitions) this.partitionChangedAt.set(partition, at);
  }

  /**
   * The fetch to run now, or why none. One fetch at a time; its result must come back through
   * {@link fetched} or {@link fetchFailed}.
   */
  nextFetch(now: number, publishable: readonly number[]): FetchPlan | NoFetch {
    if (this.stopping) return 'stopping';
    if (this.fetch) return 'fetching';
    if (now < this.pauseUntil) return 'paused';
    if (publishable.length === 0) return 'no-partitions';
    const room = this.settings.maxInFlight - this.inFlight.size;
    const requestRoom = this.window.size - this.requests;
    if (room <= 0 || requestRoom <= 0) return 'window-full';
    const skipSubjects: string[] = [];
    for (const [subject, state] of this.subjects) {
      if (this.blocked(state, now)) skipSubjects.push(subject);
      // Forgotten only here: a fetch issued from now on cannot predate anything that happened to it.
      else if (state.batches === 0 && !state.isolate && state.failures === 0) this.subjects.delete(subject);
    }
    this.fetch = { id: ++this.clock, issuedAt: this.clock };
    for (const [partition, at] of this.partitionChangedAt) {
      if (at < this.fetch.issuedAt) this.partitionChangedAt.delete(partition);
    }
    return {
      id: this.fetch.id,
      partitions: [...publishable].sort((a, b) => a - b),
      skipSubjects,
      skipPositions: [...this.inFlight],
      limit: Math.min(this.settings.batchSize, room, requestRoom * ROWS_PER_ALLOWED_REQUEST),
    };
  }

  /** The fetch failed (database down): nothing to dispatch. */
  fetchFailed(id: number): void {
    if (this.fetch?.id === id) this.fetch = undefined;
  }

  /**
   * Dispatches a fetch's rows: one command per subject, rows in position order, for every subject
   * that may still be published and in a partition still publishable.
   */
  fetched(id: number, rows: readonly R[], now: number, publishable: readonly number[]): PublishCommand<R>[] {
    const fetch = this.fetch;
    if (fetch?.id !== id) return [];
    this.fetch = undefined;
    // Stopped, or a systemic failure since the fetch was issued: send nothing of it.
    if (this.stopping || now < this.pauseUntil || this.pausedAt > fetch.issuedAt) return [];
    const allowed = new Set(publishable);
    const bySubject = new Map<string, R[]>();
    for (const row of rows) {
      if (this.inFlight.has(row.position) || !allowed.has(row.lease_partition)) continue;
      if ((this.partitionChangedAt.get(row.lease_partition) ?? 0) > fetch.issuedAt) continue;
      const list = bySubject.get(row.subject);
      if (list) list.push(row);
      else bySubject.set(row.subject, [row]);
    }
    const commands: PublishCommand<R>[] = [];
    for (const [subject, events] of bySubject) {
      // The oldest subjects first (rows come in position order); the rest wait for the next fetch.
      if (this.requests >= this.window.size) break;
      let state = this.subjects.get(subject);
      if (state && (state.disruptedAt > fetch.issuedAt || this.blocked(state, now))) continue;
      state ??= this.newSubject(events[0]?.lease_partition ?? 0);
      this.subjects.set(subject, state);
      const batch = state.isolate ? events.slice(0, 1) : events;
      const batchId = this.nextBatchId++;
      this.batches.set(batchId, {
        subject,
        rows: batch,
        settled: 0,
        firstFailed: undefined,
        alone: state.isolate,
        windowCuts: this.window.cuts,
        sentAt: now,
      });
      for (const row of batch) this.inFlight.add(row.position);
      state.batches += 1;
      this.requests += 1;
      this.busyByPartition.set(state.partition, (this.busyByPartition.get(state.partition) ?? 0) + 1);
      commands.push({ batchId, subject, rows: batch });
    }
    return commands;
  }

  /**
   * The client settled message `index` of batch `batchId`. Call it from the client's callback, which
   * runs before the client forgets the key's failure: a rejection blocks the subject at once.
   * Returns what to do once the whole batch has settled, undefined before.
   */
  messageSettled(
    batchId: number,
    index: number,
    outcome: MessageFailure | undefined,
    now: number,
  ): BatchOutcome<R> | undefined {
    const batch = this.batches.get(batchId);
    const state = batch && this.subjects.get(batch.subject);
    if (!batch || !state) return undefined;
    batch.settled += 1;
    if (outcome) this.messageFailed(batch, state, index, outcome, now);
    if (batch.settled < batch.rows.length) return undefined;
    this.requests -= 1;

    const accepted = batch.rows.slice(0, batch.firstFailed ?? batch.rows.length);
    for (const row of batch.rows.slice(accepted.length)) this.inFlight.delete(row.position);
    if (accepted.length > 0) {
      this.systemicFailures = 0;
      this.window.accepted(now - batch.sentAt);
      return { kind: 'mark', positions: accepted.map((row) => row.position) };
    }
    return { kind: 'done', failure: this.finishBatch(batchId) };
  }

  /**
   * Messages `index` and after of a batch were not handed to the client: message `index` could not
   * be (the client threw; `failure.culprit` when it is the message's own fault), or an earlier one
   * was rejected already and the rest must not be sent behind it. They count as failed.
   */
  sendFailed(
    batchId: number,
    index: number,
    failure: MessageFailure,
    now: number,
  ): BatchOutcome<R> | undefined {
    const batch = this.batches.get(batchId);
    if (!batch) return undefined;
    let result: BatchOutcome<R> | undefined;
    for (let unsent = index; unsent < batch.rows.length; unsent++) {
      result = this.messageSettled(
        batchId,
        unsent,
        { ...failure, culprit: unsent === index && failure.culprit === true },
        now,
      );
    }
    return result;
  }

  /** Whether a message of the batch was rejected already: send no more of it. */
  batchRejected(batchId: number): boolean {
    return this.batches.get(batchId)?.firstFailed !== undefined;
  }

  /**
   * A batch's accepted events are recorded as published (or the recording was abandoned at
   * shutdown). Returns the failure to record when this finished the last batch of a failed subject.
   */
  marked(batchId: number): RecordFailureCommand<R> | undefined {
    const batch = this.batches.get(batchId);
    if (!batch) return undefined;
    for (const row of batch.rows) this.inFlight.delete(row.position);
    return this.finishBatch(batchId);
  }

  /**
   * The failure returned by {@link marked} or {@link messageSettled} is recorded (`recorded` is
   * undefined when the event was published meanwhile or the database could not be reached). Decides
   * when the subject is published again: after the pause (systemic), one event at a time (a
   * request of several was rejected), past the parked event, or after a backoff.
   */
  failureRecorded(
    failure: RecordFailureCommand<R>,
    recorded: RecordedFailure | undefined,
    now: number,
  ): FailureDecision {
    const state = this.subjects.get(failure.subject);
    if (!state?.recording)
      throw new Error(`subject ${failure.subject} is not recording a failure: a relay bug`);
    this.recordings -= 1;
    state.recording = false;
    this.release(state.partition);
    state.disruptedAt = ++this.clock;
    const { backoff } = this.settings;
    if (failure.kind === 'systemic') {
      state.retryAt = this.pauseUntil;
      return {
        action: 'pause',
        pauseMs: Math.max(0, this.pauseUntil - now),
        systemicFailures: this.systemicFailures,
      };
    }
    if (!failure.culpritKnown && !state.isolate) {
      state.isolate = true;
      state.retryAt = now + backoff.initialMs;
      return { action: 'isolate' };
    }
    if (recorded?.dead) {
      // Later events of the subject continue: the warehouse applies only higher sequences, and one
      // bad event must not freeze an item for good.
      state.failures = 0;
      state.isolate = false;
      state.retryAt = 0;
      return { action: 'park', attempts: recorded.attempts };
    }
    state.failures += 1;
    const retryInMs = backoffDelay(state.failures, backoff, this.random);
    state.retryAt = now + retryInMs;
    return { action: 'retry', attempts: recorded?.attempts, retryInMs };
  }

  private messageFailed(
    batch: Batch<R>,
    state: SubjectState<R>,
    index: number,
    outcome: MessageFailure,
    now: number,
  ): void {
    const row = batch.rows[index];
    if (!row) return;
    if (batch.firstFailed === undefined || index < batch.firstFailed) batch.firstFailed = index;
    state.disruptedAt = ++this.clock;
    if (!state.failure || BigInt(row.position) < BigInt(state.failure.row.position)) {
      state.failure = {
        row,
        error: outcome.error,
        kind: outcome.kind,
        culpritKnown: outcome.culprit ?? batch.alone,
      };
    }
    if (outcome.kind === 'systemic') {
      // Pub/Sub itself is unwell: every subject waits together rather than each hammering it. The
      // subjects failing in one wave (an outage fails them all at once) count as one failure, and
      // each failed retry after a pause doubles the pause.
      if (now >= this.pauseUntil) this.systemicFailures += 1;
      this.window.failed(batch.windowCuts, this.requests);
      this.pauseUntil = Math.max(
        this.pauseUntil,
        now + backoffDelay(this.systemicFailures, this.settings.backoff, this.random),
      );
      this.pausedAt = this.clock;
    }
  }

  private finishBatch(batchId: number): RecordFailureCommand<R> | undefined {
    const batch = this.batches.get(batchId);
    if (!batch) return undefined;
    this.batches.delete(batchId);
    const state = this.subjects.get(batch.subject);
    if (!state) return undefined;
    state.batches -= 1;
    if (state.batches > 0) {
      this.release(state.partition);
      return undefined;
    }
    const failure = state.failure;
    if (!failure) {
      state.failures = 0;
      state.isolate = false;
      this.release(state.partition);
      return undefined;
    }
    // The batch's hold on the partition passes to the recording: the lease is not handed over
    // before the failure is recorded.
    state.failure = undefined;
    state.recording = true;
    this.recordings += 1;
    return {
      subject: batch.subject,
      ...failure,
      permanent: failure.kind === 'permanent' && failure.culpritKnown,
    };
  }

  private release(partition: number): void {
    const busy = (this.busyByPartition.get(partition) ?? 1) - 1;
    if (busy > 0) this.busyByPartition.set(partition, busy);
    else this.busyByPartition.delete(partition);
  }

  private blocked(state: SubjectState<R>, now: number): boolean {
    return (
      state.failure !== undefined ||
      state.recording ||
      state.retryAt > now ||
      (state.isolate && state.batches > 0)
    );
  }

  private newSubject(partition: number): SubjectState<R> {
    return {
      partition,
      batches: 0,
      failure: undefined,
      recording: false,
      retryAt: 0,
      failures: 0,
      isolate: false,
      disruptedAt: 0,
    };
  }
}
