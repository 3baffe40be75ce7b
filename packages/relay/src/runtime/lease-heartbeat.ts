import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { ReplicaIdInUseError } from '../errors.js';
import { describeFailure } from '../failure-kind.js';
import type { LeaseKeeper } from '../lease-keeper.js';
import type { RelayMetrics } from '../metrics.js';
import type { PublishLoop } from '../publishing/publish-loop.js';
import type { Service } from './service.js';

/**
 * Drives the {@link LeaseKeeper}: a tick every `intervalMs` (sooner, with backoff, after a failure)
 * registers the replica, renews and rebalances its leases, and tells the publish loop what changed.
 */
export class LeaseHeartbeat implements Service {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  /** The last failure, for the probes; undefined once a tick succeeds. */
  error: string | undefined;

  constructor(
    private readonly options: {
      readonly leases: LeaseKeeper;
      readonly loop: PublishLoop;
      readonly metrics: RelayMetrics;
      readonly logger: Logger;
      readonly intervalMs: number;
      readonly publishTimeoutMs: number;
      readonly backoff: BackoffOptions;
    },
  ) {}

  /** Ticks now, then on its interval. */
  start(): void {
    this.schedule(0);
  }

  /** One tick now (the next is scheduled from it); resolves when it is done. */
  tickNow(): Promise<void> {
    clearTimeout(this.timer);
    this.ticking ??= this.tick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** No more ticks; waits for a running one, so the leases it renews are known before release. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tickNow(), delayMs);
  }

  private async tick(): Promise<void> {
    const { leases, loop, metrics, logger, publishTimeoutMs } = this.options;
    let next = this.options.intervalMs;
    try {
      const publishableBefore = leases.publishable(publishTimeoutMs).length;
      const tick = await leases.tick((partition) => loop.isDrained(partition));
      if (this.failures > 0) logger.info('lease heartbeat succeeded again');
      this.failures = 0;
      this.error = undefined;
      metrics.leasesHeld.set(leases.heldCount);
      loop.leasesChanged([...tick.acquired, ...tick.released, ...tick.lost]);
      // Renewed in time again after a slow heartbeat: the loop may be waiting for partitions.
      if (leases.publishable(publishTimeoutMs).length !== publishableBefore) loop.notify();
    } catch (error) {
      this.failures += 1;
      this.error = describeFailure(error);
      // Leases lapse here while renewals fail: the gauge follows.
      metrics.leasesHeld.set(leases.heldCount);
      next = Math.min(next, backoffDelay(this.failures, this.options.backoff));
      const level =
        error instanceof ReplicaIdInUseError || leases.lapsing(publishTimeoutMs) ? 'error' : 'warn';
      logger[level](
        { err: error, failures: this.failures },
        'lease heartbeat failed; publishing stops before the leases can lapse',
      );
    }
    this.schedule(next);
  }
}
