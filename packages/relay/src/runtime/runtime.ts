import type { PubSub } from '@google-cloud/pubsub';
import type pg from 'pg';
import type { Logger } from 'pino';
import { within } from '@rims/schemas';
import type { LeaseKeeper } from '../lease-keeper.js';
import type { MarkQueue } from '../mark-queue.js';
import type { RemainingPartition } from '../publishing/outbox-port.js';
import type { PublishLoop } from '../publishing/publish-loop.js';
import type { WakeListener } from '../wake-listener.js';
import type { LeaseHeartbeat } from './lease-heartbeat.js';
import type { Service } from './service.js';

/** What `stop()` managed before its timeout. */
export interface StopResult {
  /** Every publish that was in flight was settled and recorded before the leases were released. */
  readonly drained: boolean;
}

/** The parts of a booted relay (see boot.ts). */
export interface RuntimeParts {
  readonly pool: pg.Pool;
  readonly pubsub: PubSub;
  /** The relay made the client, so it closes it. */
  readonly ownsPubSub: boolean;
  readonly leases: LeaseKeeper;
  readonly heartbeat: LeaseHeartbeat;
  readonly marks: MarkQueue;
  readonly loop: PublishLoop;
  readonly listener: WakeListener;
  /** Gauges and retention: started with the loop, stopped first at shutdown. */
  readonly services: readonly Service[];
  readonly leaseTtlMs: number;
  readonly logger: Logger;
}

/** How long past the shutdown deadline closing a connection may take before it is left to the exit. */
const CLOSE_GRACE_MS = 1_000;
/** How long a `--once` run that ran out of time waits for the count of what is left. */
const REMAINING_COUNT_TIMEOUT_MS = 5_000;

/**
 * A booted relay's parts in motion: the publish loop and the services beside it, and the one
 * shutdown that drains, records, releases and closes them in order.
 */
export class Runtime {
  private loopDone: Promise<void> | undefined;
  private stopping: Promise<StopResult> | undefined;

  constructor(private readonly parts: RuntimeParts) {}

  /** Publishes until stopped; `onFatal` hears a loop that failed (a bug). */
  start(onFatal: (error: unknown) => void): void {
    if (this.stopping) return;
    this.startServices();
    this.parts.heartbeat.start();
    this.loopDone = this.parts.loop.run().then(() => undefined, onFatal);
  }

  /**
   * Publishes the backlog up to the newest event now, taking over every lease that is free or
   * expires meanwhile, until the backlog is drained (by this run or another replica) or
   * `timeoutMs` passes. Returns whether it drained, and what was left at the last count (empty when
   * the database could not be reached to count).
   */
  async runToCompletion(
    timeoutMs: number,
  ): Promise<{ complete: boolean; remaining: readonly RemainingPartition[] }> {
    // The first lease tick decides which partitions this run starts with; it schedules the next.
    await this.parts.heartbeat.tickNow();
    // Stopped during that tick (SIGTERM): start nothing that the shutdown would not stop.
    if (this.isStopping()) return { complete: false, remaining: [] };
    this.startServices();
    let remaining: readonly RemainingPartition[] = [];
    const run = this.parts.loop.run({
      onRemaining: (left) => {
        remaining = left;
      },
    });
    // Stopped first (SIGTERM) or out of time: not complete, unless nothing is left at the count.
    if ((await within(run, timeoutMs)) && (await run)) return { complete: true, remaining: [] };
    // The loop reports what is left only once it has nothing of its own to do; count it all now,
    // before the shutdown releases this replica's leases (bounded: the database may be the reason).
    let counted: RemainingPartition[] | undefined;
    await within(
      this.parts.loop.onceRemaining().then((left) => {
        counted = left;
      }),
      REMAINING_COUNT_TIMEOUT_MS,
    );
    this.parts.loop.stop();
    if (counted === undefined) return { complete: false, remaining };
    return { complete: counted.length === 0, remaining: counted };
  }

  stop(timeoutMs: number): Promise<StopResult> {
    this.stopping ??= this.shutdown(timeoutMs);
    return this.stopping;
  }

  /** Readiness and what the probes show. */
  report(): { ready: boolean; details: Record<string, unknown> } {
    const { leases, loop, listener, heartbeat, leaseTtlMs } = this.parts;
    const last = leases.lastSuccessAt;
    const databaseOk = last !== undefined && performance.now() - last < leaseTtlMs;
    return {
      ready: databaseOk && !loop.pubsubFailing,
      details: {
        database: databaseOk ? 'ok' : 'unreachable or not yet registered',
        pubsub: loop.pubsubFailing ? 'failing' : 'ok',
        leasesHeld: leases.heldCount,
        inFlight: loop.eventsInFlight,
        wakeListener: listener.connected ? 'connected' : 'polling',
        waitingForWakeUp: loop.waitingForWakeUp,
        ...(loop.lastFailure ? { lastError: loop.lastFailure } : {}),
        ...(heartbeat.error ? { leaseError: heartbeat.error } : {}),
      },
    };
  }

  /** A method, so that a check after an await is not narrowed away by the one before it. */
  private isStopping(): boolean {
    return this.stopping !== undefined;
  }

  private startServices(): void {
    this.parts.listener.start();
    for (const service of this.parts.services) service.start();
  }

  private async shutdown(timeoutMs: number): Promise<StopResult> {
    const { loop, leases, heartbeat, marks, listener, pool, pubsub, ownsPubSub, services, logger } =
      this.parts;
    loop.stop();
    // One deadline for every wait: a database or Pub/Sub that hangs must not hold the exit past it
    // (an orchestrator kills the process soon after; Cloud Run allows 10 s).
    const deadline = performance.now() + timeoutMs;
    const left = () => Math.max(0, deadline - performance.now());
    const stoppingServices = Promise.all(services.map((service) => service.stop()));

    const drained =
      (await within(this.loopDone ?? Promise.resolve(), left())) && (await within(loop.drained(), left()));
    if (!drained) {
      logger.warn(
        { inFlight: loop.eventsInFlight, timeoutMs },
        'shutdown timeout: leaving undrained partitions to expire; their unrecorded events will be published again',
      );
      marks.abandon();
    }
    // A tick still running must finish first: the leases it renews are released next.
    await within(heartbeat.stop(), left());
    await within(stoppingServices, left());
    // Releasing hands the partitions over at once instead of after the lease TTL: worth a moment
    // past the deadline, but no more.
    const releasing = leases
      .releaseAll((partition) => loop.isDrained(partition))
      .then(
        (released) => {
          logger.info({ released: released.length }, 'leases released');
        },
        (error: unknown) => {
          logger.warn({ err: error }, 'could not release leases; they expire after the lease TTL');
        },
      );
    if (!(await within(releasing, left() + CLOSE_GRACE_MS))) {
      logger.warn('releasing the leases took too long; they expire after the lease TTL');
    }
    await listener.stop();
    // No topic.flush(): it would send a key's queued batch while another of its batches is still in
    // flight. Drained, nothing is queued; undrained, what is queued is published again by the next
    // owner of the partition.
    if (ownsPubSub)
      await within(
        pubsub.close().catch(() => undefined),
        CLOSE_GRACE_MS,
      );
    // Ends idle connections; one stuck in a hung query is left to the process exit.
    await within(
      pool.end().catch(() => undefined),
      CLOSE_GRACE_MS,
    );
    return { drained };
  }
}
