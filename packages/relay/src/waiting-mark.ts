import type { Logger } from 'pino';
import type { Queryable, RelaySql } from './queries/index.js';

/** Options of {@link WaitingMark}. */
export interface WaitingMarkOptions {
  readonly db: Queryable;
  /** sql/postgres/relay/mark-waiting.sql, rendered. */
  readonly markStatement: RelaySql['markWaiting'];
  /** sql/postgres/relay/unmark-waiting.sql, rendered. */
  readonly unmarkStatement: RelaySql['unmarkWaiting'];
  readonly replicaId: string;
  readonly logger: Logger;
  /** Told each time the mark is set or removed (the metrics gauge). */
  readonly onChange?: (marked: boolean) => void;
  readonly now?: () => number;
}

/**
 * This replica's row in `relay_waiting`: while it is there, writers NOTIFY at commit (see
 * migrations/0003_relay_waiting.sql); while it is absent they do not, and their commits are not
 * serialised by PostgreSQL's notification lock. The publish loop sets the mark after it has been
 * idle for a while and removes it as soon as it finds work.
 *
 * Marking and unmarking run one after the other in the order asked (a removal still running can never
 * land after the next mark). A failed statement is not retried: a mark that could not be set leaves
 * the relay polling at its interval, and one that could not be removed only makes writers NOTIFY.
 */
export class WaitingMark {
  /** What was last asked for: the statements that realise it may still be running. */
  private wanted = false;
  private marked = false;
  private markedAt = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: WaitingMarkOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether the mark is set (as far as this replica knows). */
  get isMarked(): boolean {
    return this.marked;
  }

  /**
   * Whether the mark should be set or re-asserted: it is not set, or was last confirmed more than
   * `refreshMs` ago (a crash empties the unlogged table; another replica may have pruned the mark
   * while this one could not renew its registration).
   */
  due(refreshMs: number): boolean {
    return !this.marked || this.now() - this.markedAt >= refreshMs;
  }

  /**
   * Sets the mark if it is absent. Resolves `true` when the mark is new: the caller must then look
   * for work once more, since a writer may have checked for waiting relays just before the mark
   * and will not NOTIFY. Resolves `false` when the mark was already there (every writer since saw
   * it) or could not be set.
   */
  mark(): Promise<boolean> {
    const { db, markStatement, replicaId, logger } = this.options;
    this.wanted = true;
    const run = this.chain.then(async () => {
      try {
        const result = await markStatement.run(db, [replicaId]);
        this.markedAt = this.now();
        this.set(true);
        return result.rows.length > 0;
      } catch (error) {
        logger.debug({ err: error }, 'could not mark this relay as waiting; polling instead');
        this.set(false);
        return false;
      }
    });
    this.chain = run;
    return run;
  }

  /** Removes the mark, if set or being set. Callers need not wait: until it is gone, writers merely NOTIFY. */
  unmark(): Promise<void> {
    if (!this.wanted) return this.chain.then(() => undefined);
    this.wanted = false;
    const { db, unmarkStatement, replicaId, logger } = this.options;
    const run = this.chain.then(async () => {
      this.set(false);
      try {
        await unmarkStatement.run(db, [replicaId]);
      } catch (error) {
        logger.debug({ err: error }, 'could not remove the waiting mark; writers NOTIFY until it goes');
      }
    });
    this.chain = run;
    return run;
  }

  private set(marked: boolean): void {
    if (this.marked !== marked) this.options.onChange?.(marked);
    this.marked = marked;
  }
}
