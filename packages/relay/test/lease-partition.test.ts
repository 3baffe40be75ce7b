import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@rims/test-harness/vitest';
import { MAX_POSITION, positionList, relaySql } from '../src/queries/index.js';
import type { EventInput } from '@rims/schemas';
import { committedEvent, outbox } from './helpers.js';

const database = useTestDatabase({ label: 'relay_lease_partition' });
const statements = relaySql('rims_outbox');

/** Every event's stored partition beside the one subject_partition computes. */
async function partitions(): Promise<{ subject: string; stored: number | null; computed: number }[]> {
  const { rows } = await sql<{ subject: string; stored: number | null; computed: number }>`
    SELECT subject, lease_partition AS stored, rims_outbox.subject_partition(subject) AS computed
    FROM rims_outbox.events ORDER BY position`.execute(database.kysely());
  return rows;
}

async function reset(): Promise<void> {
  await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences`.execute(database.kysely());
}

const subjects = Array.from({ length: 40 }, (_, i) => `item-${String(i)}`);

describe('the lease partition stored with each event (migration 0006)', () => {
  it('is written by every enqueue path, equal to subject_partition of the subject', async () => {
    await reset();
    const db = database.kysely<unknown>();
    // Counter rows as an earlier release left them, without a partition: the next event of each
    // subject fills it, through enqueue_event and through a batch.
    await sql`
      INSERT INTO rims_outbox.subject_sequences (subject, last_sequence)
      VALUES ('item-legacy-one', 3), ('item-legacy-batch', 5)`.execute(db);
    // One event (enqueue_event), twice for a subject, a batch (enqueue_events), and enqueue_events
    // called with a single event, as a client of an earlier release does.
    const enqueue = (events: EventInput[]) => db.transaction().execute((trx) => outbox.enqueue(trx, events));
    await enqueue([committedEvent('item-single')]);
    await enqueue([committedEvent('item-single')]);
    await enqueue([committedEvent('item-legacy-one')]);
    await enqueue([...subjects, 'item-legacy-batch', 'item-0'].map((s) => committedEvent(s)));
    await sql`
      SELECT * FROM rims_outbox.enqueue_events(
        ARRAY[gen_random_uuid()], ARRAY['item-old-client'], ARRAY['rims.item.released.v1'],
        ARRAY['{"item_id":"item-old-client","order_id":"o-1","reason":"timeout"}'::jsonb],
        ARRAY[NULL::timestamptz], ARRAY[NULL::text], '//rims/relay-test', NULL)`.execute(db);

    const rows = await partitions();
    expect(rows).toHaveLength(subjects.length + 6);
    for (const row of rows) expect(row.stored, row.subject).toBe(row.computed);
    expect(new Set(rows.map((r) => r.stored)).size, 'subjects in many partitions').toBeGreaterThan(10);
    const counters = await sql<{ subject: string; stored: number | null; computed: number }>`
      SELECT subject, lease_partition AS stored, rims_outbox.subject_partition(subject) AS computed
      FROM rims_outbox.subject_sequences`.execute(db);
    expect(counters.rows).toHaveLength(subjects.length + 4);
    for (const row of counters.rows) expect(row.stored, `counter of ${row.subject}`).toBe(row.computed);
  });

  it('routes events enqueued before the migration (NULL) by their subject, to their partition only', async () => {
    await reset();
    const db = database.kysely<unknown>();
    await db.transaction().execute((trx) =>
      outbox.enqueue(
        trx,
        subjects.map((s) => committedEvent(s)),
      ),
    );
    // Half the events as an earlier release left them.
    await sql`UPDATE rims_outbox.events SET lease_partition = NULL WHERE position % 2 = 0`.execute(db);
    const rows = await partitions();
    expect(rows.filter((r) => r.stored === null)).toHaveLength(subjects.length / 2);

    const held = [...new Set(rows.map((r) => r.computed))].slice(0, 5);
    const { rows: fetched } = await statements.fetchPending.run(database.pool, [
      held,
      [],
      MAX_POSITION,
      1_000,
      positionList([]),
    ]);
    const expected = rows.filter((r) => held.includes(r.computed)).map((r) => r.subject);
    expect(fetched.map((r) => r.subject)).toEqual(expected);
    expect(fetched.some((r) => rows.find((x) => x.subject === r.subject)?.stored === null)).toBe(true);
    for (const row of fetched)
      expect(row.lease_partition, row.subject).toBe(rows.find((r) => r.subject === row.subject)?.computed);
  });

  it('lets the fetch walk the pending index with thousands of events in flight', async () => {
    await reset();
    const db = database.kysely<unknown>();
    const many = Array.from({ length: 20_000 }, (_, i) => committedEvent(`item-${String(i % 200)}`));
    await db.transaction().execute(async (trx) => {
      for (let start = 0; start < many.length; start += 2_000)
        await outbox.enqueue(trx, many.slice(start, start + 2_000));
    });
    await sql`ANALYZE rims_outbox.events`.execute(db);
    const inFlight = await sql<{ position: string }>`
      SELECT position::text AS position FROM rims_outbox.events ORDER BY position LIMIT 5000`.execute(db);
    // Half the partitions, as one of two replicas holds them. Computed per row, the partition has
    // no statistics: the planner then expected a few hundred rows and sorted the whole backlog.
    const half = Array.from({ length: 32 }, (_, i) => i);
    const { rows } = await database.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN ${statements.fetchPending.text}`,
      [half, [], MAX_POSITION, 5_000, positionList(inFlight.rows.map((r) => r.position))],
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('Index Scan using events_pending');
    expect(plan).not.toContain('Sort');
  });

  it('is prepared while what it leaves out is short, and its generic plan walks the pending index', async () => {
    await reset();
    const db = database.kysely<unknown>();
    const many = Array.from({ length: 5_000 }, (_, i) => committedEvent(`item-${String(i % 200)}`));
    await db.transaction().execute((trx) => outbox.enqueue(trx, many));
    await sql`ANALYZE rims_outbox.events`.execute(db);
    const positions = (n: number) => positionList(Array.from({ length: n }, (_, i) => String(i + 1)));
    /** The fetch statements prepared on a fresh connection after one fetch leaving out `n` positions. */
    const preparedAfter = async (n: number) => {
      const client = await database.pool.connect();
      try {
        await statements.fetchPending.run(client, [[0, 1, 2], [], MAX_POSITION, 100, positions(n)]);
        const { rows } = await client.query<{ name: string }>(
          `SELECT name FROM pg_prepared_statements WHERE NOT from_sql`,
        );
        return rows.map((r) => r.name);
      } finally {
        client.release(true);
      }
    };
    const [prepared] = await preparedAfter(64);
    expect(prepared).toMatch(/^rims_fetch-pending_[0-9a-f]{12}$/);
    // Past 64 positions it is planned on every run, so that PostgreSQL hashes the list.
    expect(await preparedAfter(65)).toEqual([]);

    // PostgreSQL may keep the generic plan after five runs; with 5,000 pending it must still read
    // the pending index in order rather than sort the backlog.
    const client = await database.pool.connect();
    try {
      await statements.fetchPending.run(client, [[0, 1], [], MAX_POSITION, 100, positions(2)]);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE "${prepared ?? ''}"('{0,1}', '{}', ${MAX_POSITION}, 5000, '{1,2}')`,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('Index Scan using events_pending');
      expect(plan).not.toContain('Sort');
    } finally {
      client.release(true);
    }
  });
});
