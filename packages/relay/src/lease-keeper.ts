import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ReplicaIdInUseError } from './errors.js';
import type { Queryable, RelaySql } from './queries/index.js';

/**
 * Number of lease partitions; fixed by migration 0002 (subject_partition and relay_leases).
 *
 * @example const perReplica = Math.ceil(LEASE_PARTITIONS / 3); // 22 partitions each for 3 replicas
 */
export const LEASE_PARTITIONS = 64;

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  readonly db: Queryable;
  readonly sql: RelaySql;
  readonly replicaId: string;
  readonly ttlMs: number;
  readonly logger: Logger;
  /** `share`: a fair share of the partitions among live replicas; `all`: every free one (--once). */
  readonly mode: 'share' | 'all';
  readonly now?: () => number;
}

/** What one {@link LeaseKeeper.tick} changed. */
export interface LeaseTick {
  readonly acquired: readonly number[];
  readonly lost: readonly number[];
  readonly released: readonly number[];
  readonly liveReplicas: number;
}

/**
 * This replica's share of the subject partitions, kept in PostgreSQL (tables relay_replicas and
 * relay_leases). Each tick renews the registration and the leases held, then moves towards a fair
 * share: it acquires free or expired leases when it holds too few, and marks surplus ones for
 * release when it holds too many. A surplus lease is published from no longer, and is given back
 * only once its publishes are drained (`canRelease`), so no two replicas ever publish a subject at
 * the same time.
 *
 * Validity is tracked on this process's monotonic clock from the moment each renewal was sent, so
 * a replica that cannot reach the database stops publishing before its leases can expire there.
 */
export class LeaseKeeper {
  private readonly held = new Map<number, number>();
  private readonly releasing = new Set<number>();
  private readonly now: () => number;
  /** This process's registration; tells it apart from another process misconfigured with the same id. */
  private readonly instance = randomUUID();
  private lastTickAt: number | undefined;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Partitions held and still valid on this process's clock (including those being released): a
   * lease whose renewal could not reach the database lapses here, and is not counted, before the
   * database lets another replica take it.
   */
  get heldCount(): number {
    const now = this.now();
    let count = 0;
    for (const validUntil of this.held.values()) if (validUntil > now) count += 1;
    return count;
  }

  /** Monotonic time of the last successful tick, if any. */
  get lastSuccessAt(): number | undefined {
    return this.lastTickAt;
  }

  /** Whether `partition` is held and being handed over. */
  isReleasing(partition: number): boolean {
    return this.releasing.has(partition);
  }

  /**
   * Partitions this replica may start publishing now: held, not being released, and valid for at
   * least `marginMs` more (the longest a publish started now can take).
   */
  publishable(marginMs: number): number[] {
    const limit = this.now() + marginMs;
    const out: number[] = [];
    for (const [partition, validUntil] of this.held) {
      if (validUntil > limit && !this.releasing.has(partition)) out.push(partition);
    }
    return out.sort((a, b) => a - b);
  }

  /** Whether any held lease is valid for less than `marginMs` more (publishing there has stopped). */
  lapsing(marginMs: number): boolean {
    const limit = this.now() + marginMs;
    for (const validUntil of this.held.values()) if (validUntil <= limit) return true;
    return false;
  }

  /**
   * Heartbeat, renew, rebalance. `canRelease(partition)` says whether a partition's publishes are
   * drained and recorded, so its lease can be handed over.
   *
   * @throws whatever the database throws; the caller retries with backoff
   */
  async tick(canRelease: (partition: number) => boolean): Promise<LeaseTick> {
    const { db, sql, replicaId, ttlMs, logger } = this.options;
    const sentAt = this.now();
    const validUntil = sentAt + ttlMs;

    const registered = await sql.heartbeatReplica.run(db, [replicaId, ttlMs, this.instance]);
    if (registered.rows.length === 0) {
      throw new ReplicaIdInUseError(
        `replica id '${replicaId}' is registered by another live relay process; this one holds no lease until that registration expires. Give every replica its own RELAY_REPLICA_ID (or leave it unset).`,
      );
    }
    const live = (await sql.liveReplicas.run(db, [])).rows.map((r) => r.replica_id);
    if (!live.includes(replicaId)) live.push(replicaId);
    live.sort();

    const renewed = new Set(
      (await sql.renewLeases.run(db, [replicaId, ttlMs])).rows.map((r) => r.lease_partition),
    );
    const lost: number[] = [];
    for (const partition of this.held.keys()) {
      if (!renewed.has(partition)) lost.push(partition);
    }
    for (const partition of lost) {
      this.held.delete(partition);
      this.releasing.delete(partition);
    }
    if (lost.length > 0) {
      logger.warn({ partitions: lost }, 'leases were taken over by another replica after they lapsed');
    }
    for (const partition of renewed) this.held.set(partition, validUntil);

    const share = this.options.mode === 'all' ? LEASE_PARTITIONS : fairShare(live, replicaId);
    const acquired: number[] = [];
    const want = share - this.held.size;
    if (want > 0) {
      this.releasing.clear();
      const rows = (await sql.acquireLeases.run(db, [replicaId, ttlMs, want])).rows;
      for (const { lease_partition } of rows) {
        this.held.set(lease_partition, validUntil);
        acquired.push(lease_partition);
      }
    } else {
      this.chooseSurplus(this.held.size - share);
    }

    const released: number[] = [];
    const drained = [...this.releasing].filter((partition) => canRelease(partition));
    if (drained.length > 0) {
      await sql.releaseLeases.run(db, [replicaId, drained]);
      for (const partition of drained) {
        this.held.delete(partition);
        this.releasing.delete(partition);
        released.push(partition);
      }
    }

    this.lastTickAt = sentAt;
    if (acquired.length > 0 || released.length > 0) {
      logger.info(
        { acquired, released, held: this.held.size, share, liveReplicas: live.length },
        'leases rebalanced',
      );
    }
    return { acquired, lost, released, liveReplicas: live.length };
  }

  /**
   * Gives back every lease whose publishes are drained, and forgets them all (leases that are not
   * drained expire on their own after the TTL). Used at shutdown.
   */
  async releaseAll(canRelease: (partition: number) => boolean): Promise<number[]> {
    const { db, sql, replicaId } = this.options;
    const drained = [...this.held.keys()].filter((partition) => canRelease(partition));
    this.held.clear();
    this.releasing.clear();
    if (drained.length > 0) await sql.releaseLeases.run(db, [replicaId, drained]);
    await sql.deregisterReplica.run(db, [replicaId, this.instance]);
    return drained;
  }

  /** Keeps exactly `surplus` partitions marked for release, preferring ones already marked. */
  private chooseSurplus(surplus: number): void {
    if (surplus <= 0) {
      this.releasing.clear();
      return;
    }
    const ordered = [...this.held.keys()].sort((a, b) => b - a);
    for (const partition of [...this.releasing]) {
      if (this.releasing.size > surplus) this.releasing.delete(partition);
    }
    for (const partition of ordered) {
      if (this.releasing.size >= surplus) break;
      this.releasing.add(partition);
    }
  }
}

/**
 * This replica's fair share of the partitions: an equal split among live replicas, the remainder
 * going to the first ones in id order, so every replica computes the same split.
 *
 * @example fairShare(['a', 'b', 'c'], 'a') // 22 (64 = 22 + 21 + 21)
 */
export function fairShare(liveReplicas: readonly string[], replicaId: string): number {
  const count = Math.max(1, liveReplicas.length);
  const rank = Math.max(0, liveReplicas.indexOf(replicaId));
  return Math.floor(LEASE_PARTITIONS / count) + (rank < LEASE_PARTITIONS % count ? 1 : 0);
}
