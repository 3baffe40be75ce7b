/**
 * A simulated world for the relay's {@link PublishScheduler}: an outbox table, relay replicas with
 * the real scheduler and a model of `@google-cloud/pubsub`'s ordered publishing, and a Pub/Sub
 * server, all stepped by one seeded random schedule. Every asynchronous thing (a fetch's snapshot
 * and its answer, a request, a mark, a failure record) is a pending operation that completes at a
 * step of the schedule's choosing, so fetches return late, publishes fail or time out after Pub/Sub
 * accepted them, leases move and replicas crash in any interleaving.
 *
 * The client model keeps what the real one does (node_modules/@google-cloud/pubsub/build/src/
 * publisher/message-queues.js): one request per ordering key at a time; a failed request fails
 * every message queued behind it for the key, through their callbacks; then the key's queue drains
 * and is deleted, so the next message for the key is sent at once (the failure is forgotten).
 */
import { GRPC_STATUS, classifyFailure } from '../../src/failure-kind.js';
import {
  PublishScheduler,
  type BatchOutcome,
  type FetchPlan,
  type RecordFailureCommand,
  type SchedulerRow,
} from '../../src/publishing/publish-scheduler.js';

export interface SimRow extends SchedulerRow {
  readonly sequence: number;
}

interface SimEvent {
  readonly row: SimRow;
  readonly poison: boolean;
  published: boolean;
  dead: boolean;
  attempts: number;
}

interface Message {
  readonly row: SimRow;
  readonly callback: (error: Error | undefined) => void;
}

interface KeyQueue {
  /** Batches waiting to be sent, oldest first. */
  batches: Message[][];
  inFlight: boolean;
}

export interface Replica {
  readonly id: number;
  readonly scheduler: PublishScheduler<SimRow>;
  readonly held: Set<number>;
  readonly queues: Map<string, KeyQueue>;
  alive: boolean;
}

type Operation =
  | { readonly kind: 'fetch'; readonly replica: Replica; readonly plan: FetchPlan; rows?: SimRow[] }
  | {
      readonly kind: 'request';
      readonly replica: Replica;
      readonly key: string;
      readonly messages: Message[];
    }
  | {
      readonly kind: 'mark';
      readonly replica: Replica;
      readonly batchId: number;
      readonly positions: readonly string[];
    }
  | { readonly kind: 'record'; readonly replica: Replica; readonly failure: RecordFailureCommand<SimRow> };

/** How adversarial a schedule is. */
export interface WorldSettings {
  readonly subjects: number;
  readonly partitions: number;
  readonly maxEvents: number;
  readonly poisonRate: number;
  readonly failRate: number;
  /** Requests Pub/Sub accepts whose answer is lost (the client sees a deadline error). */
  readonly acceptedThenFailRate: number;
  readonly batchSize: number;
  readonly maxInFlight: number;
  /** Messages per client request. */
  readonly clientBatch: number;
  readonly maxAttempts: number;
}

/** A broken promise found in a schedule, with the step it was found at. */
export class SimViolation extends Error {}

export class World {
  readonly events: SimEvent[] = [];
  /** Pub/Sub's accepted messages, in acceptance order (what an ordered subscription delivers). */
  readonly accepted: SimRow[] = [];
  readonly replicas: Replica[] = [];
  readonly operations: Operation[] = [];
  now = 0;
  calm = false;
  private nextReplicaId = 0;
  private readonly acceptedPositions = new Set<string>();
  private readonly lastFirstAccepted = new Map<string, number>();

  constructor(
    readonly settings: WorldSettings,
    readonly random: () => number,
  ) {}

  pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.random() * items.length)];
  }

  /** A writer commits one event for a random subject. */
  write(): void {
    const subjectIndex = Math.floor(this.random() * this.settings.subjects);
    const subject = `s${String(subjectIndex)}`;
    const sequence = this.events.filter((e) => e.row.subject === subject).length + 1;
    this.events.push({
      row: {
        position: String(this.events.length + 1),
        subject,
        sequence,
        lease_partition: subjectIndex % this.settings.partitions,
      },
      poison: this.random() < this.settings.poisonRate,
      published: false,
      dead: false,
      attempts: 0,
    });
  }

  startReplica(): Replica {
    const replica: Replica = {
      id: this.nextReplicaId++,
      scheduler: new PublishScheduler<SimRow>({
        batchSize: this.settings.batchSize,
        maxInFlight: this.settings.maxInFlight,
        backoff: { initialMs: 10, maxMs: 200 },
        random: this.random,
      }),
      held: new Set(),
      queues: new Map(),
      alive: true,
    };
    this.replicas.push(replica);
    return replica;
  }

  /** The replica dies: its state and its unsent client batches are gone; requests in flight still land. */
  crash(replica: Replica): void {
    replica.alive = false;
    replica.held.clear();
    replica.queues.clear();
  }

  /** A lease moves to `replica`, if no live replica holds it (PostgreSQL keeps leases exclusive). */
  grant(replica: Replica, partition: number): void {
    if (this.replicas.some((r) => r.alive && r.held.has(partition))) return;
    replica.held.add(partition);
    replica.scheduler.leasesChanged([partition]);
  }

  /** A lease lapses under `replica` while its publishes may still be in flight. */
  revoke(replica: Replica, partition: number): void {
    if (!replica.held.delete(partition)) return;
    replica.scheduler.leasesChanged([partition]);
  }

  /** The replica's loop looks for work, as PublishLoop does after a wake-up. */
  poll(replica: Replica): void {
    const plan = replica.scheduler.nextFetch(this.now, [...replica.held]);
    if (typeof plan === 'object') this.operations.push({ kind: 'fetch', replica, plan });
  }

  /** Completes operation `index`: a fetch first takes its snapshot, then answers at a later step. */
  complete(index: number): void {
    const [operation] = this.operations.splice(index, 1);
    if (!operation) return;
    switch (operation.kind) {
      case 'fetch': {
        if (operation.rows === undefined) {
          operation.rows = this.snapshot(operation.plan);
          this.operations.push(operation);
          return;
        }
        if (!operation.replica.alive) return;
        const { scheduler } = operation.replica;
        const commands = scheduler.fetched(operation.plan.id, operation.rows, this.now, [
          ...operation.replica.held,
        ]);
        if (commands.length > 0 && scheduler.requestsInFlight > scheduler.requestWindow) {
          throw new SimViolation(
            `${String(scheduler.requestsInFlight)} requests in flight after a fetch, over the window of ${String(scheduler.requestWindow)}`,
          );
        }
        for (const command of commands) {
          for (const [index, row] of command.rows.entries()) {
            this.add(operation.replica, row, (error) => {
              const failure = error ? { error, kind: classifyFailure(error) } : undefined;
              const outcome = operation.replica.scheduler.messageSettled(
                command.batchId,
                index,
                failure,
                this.now,
              );
              this.afterSettled(operation.replica, command.batchId, outcome);
            });
          }
        }
        return;
      }
      case 'request':
        this.answer(operation);
        return;
      case 'mark':
        for (const position of operation.positions) {
          if (!this.acceptedPositions.has(position)) {
            throw new SimViolation(
              `position ${position} recorded as published but Pub/Sub never accepted it`,
            );
          }
          const event = this.events[Number(position) - 1];
          if (event) event.published = true;
        }
        if (operation.replica.alive)
          this.record(operation.replica, operation.replica.scheduler.marked(operation.batchId));
        return;
      case 'record': {
        const event = this.events[Number(operation.failure.row.position) - 1];
        let recorded: { attempts: number; dead: boolean } | undefined;
        if (event && !event.published && !event.dead) {
          const permanent = operation.failure.permanent;
          if (permanent) event.attempts += 1;
          event.dead = permanent && event.attempts >= this.settings.maxAttempts;
          recorded = { attempts: event.attempts, dead: event.dead };
        }
        if (operation.replica.alive)
          operation.replica.scheduler.failureRecorded(operation.failure, recorded, this.now);
        return;
      }
    }
  }

  /** Keys of `replica` with a batch ready to send and nothing in flight (the client's 1 ms timer). */
  sendable(): { replica: Replica; key: string }[] {
    const out: { replica: Replica; key: string }[] = [];
    for (const replica of this.replicas) {
      if (!replica.alive) continue;
      for (const [key, queue] of replica.queues)
        if (!queue.inFlight && queue.batches.length > 0) out.push({ replica, key });
    }
    return out;
  }

  /** The client's timer fires for a key: its oldest batch becomes a request. */
  send(replica: Replica, key: string): void {
    const queue = replica.queues.get(key);
    const messages = queue?.batches.shift();
    if (!queue || !messages) return;
    queue.inFlight = true;
    this.operations.push({ kind: 'request', replica, key, messages });
  }

  /** Whether nothing is left to do: every event published or dead, nothing pending anywhere. */
  quiescent(): boolean {
    return (
      this.operations.length === 0 &&
      this.events.every((e) => e.published || e.dead) &&
      this.replicas.every((r) => !r.alive || r.scheduler.outstanding === 0)
    );
  }

  /** At quiescence: every event delivered or parked, and only poison ever parked. */
  checkComplete(): void {
    for (const event of this.events) {
      if (event.dead && !event.poison)
        throw new SimViolation(`${event.row.subject}/${String(event.row.sequence)} parked but not poison`);
      if (!event.dead && !this.acceptedPositions.has(event.row.position)) {
        throw new SimViolation(`${event.row.subject}/${String(event.row.sequence)} never delivered`);
      }
    }
  }

  private snapshot(plan: FetchPlan): SimRow[] {
    return this.events
      .filter(
        (e) =>
          !e.published &&
          !e.dead &&
          plan.partitions.includes(e.row.lease_partition) &&
          !plan.skipSubjects.includes(e.row.subject) &&
          !plan.skipPositions.includes(e.row.position),
      )
      .slice(0, plan.limit)
      .map((e) => e.row);
  }

  /** The client's `publishMessage` for an ordered key. */
  private add(replica: Replica, row: SimRow, callback: (error: Error | undefined) => void): void {
    let queue = replica.queues.get(row.subject);
    if (!queue) {
      queue = { batches: [], inFlight: false };
      replica.queues.set(row.subject, queue);
    }
    const open = queue.batches.at(-1);
    if (open && open.length < this.settings.clientBatch) open.push({ row, callback });
    else queue.batches.push([{ row, callback }]);
  }

  private answer(request: Extract<Operation, { kind: 'request' }>): void {
    const poisoned = request.messages.some((m) => this.events[Number(m.row.position) - 1]?.poison);
    const roll = this.random();
    const failRate = this.calm ? 0 : this.settings.failRate;
    const lateRate = this.calm ? 0 : this.settings.acceptedThenFailRate;
    let error: Error | undefined;
    if (poisoned) error = Object.assign(new Error('invalid message'), { code: GRPC_STATUS.invalidArgument });
    else if (roll < failRate)
      error = Object.assign(new Error('unavailable'), { code: GRPC_STATUS.unavailable });
    else if (roll < failRate + lateRate) {
      this.accept(request.messages);
      error = Object.assign(new Error('deadline exceeded'), { code: GRPC_STATUS.deadlineExceeded });
    } else this.accept(request.messages);

    const queue = request.replica.queues.get(request.key);
    if (!request.replica.alive || !queue) return;
    queue.inFlight = false;
    for (const message of request.messages) message.callback(error);
    if (error) {
      // handlePublishFailure: everything queued behind fails too; then the queue drains and the
      // publisher deletes it, forgetting the failure.
      for (const batch of queue.batches.splice(0)) for (const message of batch) message.callback(error);
      request.replica.queues.delete(request.key);
    } else if (queue.batches.length === 0) {
      request.replica.queues.delete(request.key);
    }
  }

  /**
   * Pub/Sub accepts a request. Checked at once: each event's FIRST acceptance (what an ordered
   * subscription first delivers) follows every earlier event of its subject, but those parked dead.
   */
  private accept(messages: readonly Message[]): void {
    for (const { row } of messages) {
      this.accepted.push(row);
      if (this.acceptedPositions.has(row.position)) continue;
      this.acceptedPositions.add(row.position);
      const previous = this.lastFirstAccepted.get(row.subject) ?? 0;
      for (let sequence = previous + 1; sequence < row.sequence; sequence++) {
        const skipped = this.events.find((e) => e.row.subject === row.subject && e.row.sequence === sequence);
        if (!skipped?.dead) {
          throw new SimViolation(
            `${row.subject}: sequence ${String(row.sequence)} first accepted before ${String(sequence)} (first accepted so far: up to ${String(previous)})`,
          );
        }
      }
      if (row.sequence > previous) this.lastFirstAccepted.set(row.subject, row.sequence);
      else
        throw new SimViolation(
          `${row.subject}: sequence ${String(row.sequence)} first accepted after ${String(previous)}`,
        );
    }
  }

  private afterSettled(replica: Replica, batchId: number, outcome: BatchOutcome<SimRow> | undefined): void {
    if (!outcome) return;
    if (outcome.kind === 'mark')
      this.operations.push({ kind: 'mark', replica, batchId, positions: outcome.positions });
    else this.record(replica, outcome.failure);
  }

  private record(replica: Replica, failure: RecordFailureCommand<SimRow> | undefined): void {
    if (failure) this.operations.push({ kind: 'record', replica, failure });
  }
}
