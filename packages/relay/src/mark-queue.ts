import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { positionList, type Queryable, type RelaySql } from './queries/index.js';

interface Waiting {
  readonly positions: readonly string[];
  readonly resolve: () => void;
}

/**
 * Records published events in bulk: every set of positions handed in while a write is running goes
 * into the next single `UPDATE ... WHERE position = ANY($1)`. A failed write (the database is
 * restarting) is retried with backoff until it succeeds or the queue is abandoned at shutdown; until
 * then the events' subjects stay blocked, so nothing is published twice by this replica.
 */
export class MarkQueue {
  private waiting: Waiting[] = [];
  private running: Promise<void> | undefined;
  private abandoned = false;
  /** Ends the backoff sleep between failed writes early (set while sleeping). */
  private wakeFromBackoff: (() => void) | undefined;

  constructor(
    private readonly options: {
      readonly db: Queryable;
      readonly statement: RelaySql['markPublished'];
      readonly backoff: BackoffOptions;
      readonly logger: Logger;
    },
  ) {}

  /** Resolves once `positions` are recorded as published (or the queue was abandoned). */
  mark(positions: readonly string[]): Promise<void> {
    if (positions.length === 0 || this.abandoned) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push({ positions, resolve });
      this.running ??= this.drain().finally(() => {
        this.running = undefined;
      });
    });
  }

  /** Stops retrying: whatever is still unrecorded will be published again by the next owner. */
  abandon(): void {
    this.abandoned = true;
    for (const waiting of this.waiting.splice(0)) waiting.resolve();
    // A pending backoff timer would keep the process alive after shutdown.
    this.wakeFromBackoff?.();
  }

  /** A method, so that the check after an await is not narrowed away by the one before it. */
  private isAbandoned(): boolean {
    return this.abandoned;
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.waiting.length > 0 && !this.abandoned) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.options.statement.run(this.options.db, [positionList(batch.flatMap((w) => w.positions))]);
        failures = 0;
        for (const waiting of batch) waiting.resolve();
      } catch (error) {
        if (this.isAbandoned()) {
          // Abandoned while this write ran: nobody retries it, so release its waiters too.
          for (const waiting of batch) waiting.resolve();
          return;
        }
        failures += 1;
        this.waiting = [...batch, ...this.waiting];
        const delay = backoffDelay(failures, this.options.backoff);
        this.options.logger.warn(
          { err: error, events: batch.reduce((n, w) => n + w.positions.length, 0), retryInMs: delay },
          'could not record published events; retrying (their subjects wait meanwhile)',
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeFromBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeFromBackoff = undefined;
      }
    }
  }
}
