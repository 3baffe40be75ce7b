import { sql } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useTestDatabase, waitFor } from '@rims/test-harness/vitest';
import { fairShare, LEASE_PARTITIONS, ReplicaIdInUseError } from '../src/index.js';
import { LeaseKeeper } from '../src/lease-keeper.js';
import { relaySql } from '../src/queries/index.js';

const database = useTestDatabase({ label: 'relay_leases' });
const logger = pino({ level: 'silent' });
const TTL = 1_000;

function keeper(replicaId: string, clock: { now: number }, mode: 'share' | 'all' = 'share'): LeaseKeeper {
  return new LeaseKeeper({
    db: database.pool,
    sql: relaySql('rims_outbox'),
    replicaId,
    ttlMs: TTL,
    logger,
    mode,
    now: () => clock.now,
  });
}

async function owners(): Promise<Record<string, number>> {
  const rows = await sql<{ owner: string | null; n: string }>`
    SELECT owner, count(*) AS n FROM rims_outbox.relay_leases GROUP BY owner`.execute(database.kysely());
  return Object.fromEntries(rows.rows.map((r) => [r.owner ?? 'free', Number(r.n)]));
}

const always = () => true;

describe('leases', () => {
  it('split the partitions fairly, in an order every replica agrees on', () => {
    expect(fairShare(['a'], 'a')).toBe(64);
    expect(['a', 'b', 'c'].map((id) => fairShare(['a', 'b', 'c'], id))).toEqual([22, 21, 21]);
    expect(fairShare(['a', 'b', 'c'], 'z'), 'not yet listed: counted first').toBe(22);
    const shares = Array.from({ length: 7 }, (_, i) =>
      fairShare(['1', '2', '3', '4', '5', '6', '7'], String(i + 1)),
    );
    expect(shares.reduce((a, b) => a + b, 0)).toBe(LEASE_PARTITIONS);
  });

  it('partition subjects stably with md5, the same in every session', async () => {
    const result = await sql<{ p: number }>`SELECT rims_outbox.subject_partition('item-1') AS p`.execute(
      database.kysely(),
    );
    // md5('item-1') starts with 761ff52b; 0x761ff52b % 64 = 43.
    expect(result.rows[0]?.p).toBe(0x761ff52b % 64);
  });

  it('rebalance when a replica joins, handing over only drained partitions, and take over from a dead one', async () => {
    const clock = { now: 0 };
    const a = keeper('replica-a', clock);
    const b = keeper('replica-b', clock);

    await a.tick(always);
    expect(a.publishable(0)).toHaveLength(64);
    expect(await owners()).toEqual({ 'replica-a': 64 });

    // B joins: it finds nothing free yet. A marks its surplus for release and stops publishing it,
    // but keeps partitions whose publishes are still outstanding until they drain.
    await b.tick(always);
    expect(b.heldCount).toBe(0);
    const busy = new Set([63]);
    await a.tick((partition) => !busy.has(partition));
    expect(a.heldCount).toBe(33);
    expect(a.publishable(0)).toHaveLength(32);
    expect(a.isReleasing(63)).toBe(true);
    await b.tick(always);
    expect(b.heldCount).toBe(31);

    busy.clear();
    await a.tick(always);
    await b.tick(always);
    expect(await owners()).toEqual({ 'replica-a': 32, 'replica-b': 32 });
    const aSet = new Set(a.publishable(0));
    expect(
      b.publishable(0).some((p) => aSet.has(p)),
      'no partition published by both',
    ).toBe(false);

    // A stops renewing (it died). Its leases lapse for A itself first: it no longer publishes with
    // less than the publish deadline left.
    clock.now += TTL - 100;
    expect(a.publishable(200)).toEqual([]);
    expect(a.lapsing(200)).toBe(true);
    // B takes A's share over as soon as A's leases expire in PostgreSQL (one TTL after A's last renewal).
    const started = Date.now();
    await waitFor(
      async () => {
        await b.tick(always);
        return b.heldCount === 64;
      },
      { timeoutMs: 5_000, intervalMs: 100, description: "B to take over A's leases" },
    );
    expect(Date.now() - started).toBeLessThan(TTL + 1_000);
    expect(await owners()).toEqual({ 'replica-b': 64 });

    // A comes back: it learns its leases were taken over and starts from its new fair share.
    const result = await a.tick(always);
    expect(result.lost).toHaveLength(32);
    expect(a.heldCount).toBe(0);

    await b.releaseAll(always);
    await a.releaseAll(always);
    expect(await owners()).toEqual({ free: 64 });
  });

  it('refuse a second live process with the same replica id until the first one is gone', async () => {
    const clock = { now: 0 };
    const first = keeper('replica-same', clock);
    const second = keeper('replica-same', clock);
    await first.tick(always);
    expect(first.heldCount).toBe(64);
    await expect(second.tick(always)).rejects.toBeInstanceOf(ReplicaIdInUseError);
    expect(second.heldCount).toBe(0);
    // The duplicate's shutdown does not remove the first one's registration or leases.
    await second.releaseAll(always);
    expect(await owners()).toEqual({ 'replica-same': 64 });
    const registered = await sql<{ n: string }>`
      SELECT count(*) AS n FROM rims_outbox.relay_replicas WHERE replica_id = 'replica-same'`.execute(
      database.kysely(),
    );
    expect(Number(registered.rows[0]?.n)).toBe(1);
    // Once the first stops renewing, its registration expires and the second takes over.
    await waitFor(
      async () => {
        clock.now += TTL;
        await second.tick(always).catch(() => undefined);
        return second.heldCount === 64;
      },
      { timeoutMs: 5_000, intervalMs: 100, description: 'the second process to take over' },
    );
    await second.releaseAll(always);
  });

  it('--once takes every free partition but none a live replica holds', async () => {
    const clock = { now: 0 };
    const live = keeper('replica-live', clock);
    await live.tick(always);
    const once = keeper('replica-once', clock, 'all');
    await once.tick(always);
    expect(once.heldCount).toBe(0);
    await live.releaseAll(always);
    await once.tick(always);
    expect(once.heldCount).toBe(64);
    await once.releaseAll(always);
  });

  it('count as held only leases still valid on this process, so an outage longer than the TTL shows none', async () => {
    const clock = { now: 0 };
    const alone = keeper('replica-lapsing', clock, 'all');
    await alone.tick(always);
    expect(alone.heldCount).toBe(64);
    // No renewal (the database unreachable) for longer than the TTL: the leases lapsed here.
    clock.now += TTL + 1;
    expect(alone.publishable(0)).toEqual([]);
    expect(alone.heldCount).toBe(0);
    await alone.tick(always);
    expect(alone.heldCount).toBe(64);
    await alone.releaseAll(always);
  });
});
