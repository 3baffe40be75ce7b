import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay } from '../src/index.js';
import { relaySql, type Queryable } from '../src/queries/index.js';
import { deletePublishedEvents } from '../src/retention.js';
import { committedEvent, countEvents, outbox, relayOptions } from './helpers.js';

const database = useTestDatabase({ label: 'relay_retention' });
const pubsub = useTestPubSub();

describe('retention', () => {
  it('deletes only events published before the cut-off, in bounded batches', async () => {
    const db = database.kysely<unknown>();
    await db.transaction().execute((trx) =>
      outbox.enqueue(
        trx,
        Array.from({ length: 30 }, (_, i) => committedEvent(`item-r-${String(i % 5)}`)),
      ),
    );
    // 12 published two days ago, 8 published just now, 5 pending, 5 dead (parked two days ago).
    await sql`
      WITH ordered AS (SELECT position, row_number() OVER (ORDER BY position) AS n FROM rims_outbox.events)
      UPDATE rims_outbox.events e
      SET published_at = CASE WHEN o.n <= 12 THEN now() - interval '2 days' WHEN o.n <= 20 THEN now() END,
          dead_at = CASE WHEN o.n > 25 THEN now() - interval '2 days' END
      FROM ordered o WHERE o.position = e.position`.execute(db);

    const statements: number[] = [];
    const counting: Queryable = {
      query: async (text, values) => {
        const result = await database.pool.query(text, values);
        statements.push(result.rowCount ?? 0);
        return { rows: result.rows as never[], rowCount: result.rowCount };
      },
    };
    const deleted = await deletePublishedEvents(counting, relaySql('rims_outbox').deletePublished, {
      retentionMs: 86_400_000,
      batchSize: 5,
    });
    expect(deleted).toBe(12);
    expect(statements, 'batches of at most 5, until one is short').toEqual([5, 5, 2]);
    expect(await countEvents(db, 'published')).toBe(8);
    expect(await countEvents(db, 'pending')).toBe(5);
    expect(await countEvents(db, 'dead')).toBe(5);
  });

  it('leaves the churning table to an eager autovacuum (2% instead of 20%)', async () => {
    const options = await sql<{ reloptions: string[] }>`
      SELECT reloptions FROM pg_class WHERE oid = 'rims_outbox.events'::regclass`.execute(database.kysely());
    expect(options.rows[0]?.reloptions).toEqual(
      expect.arrayContaining([
        'autovacuum_vacuum_scale_factor=0.02',
        'autovacuum_vacuum_insert_scale_factor=0.02',
        'autovacuum_analyze_scale_factor=0.02',
      ]),
    );
  });

  it('runs in the relay on its interval', async () => {
    const db = database.kysely<unknown>();
    const topic = pubsub.uniqueName('retention');
    await pubsub.client().createTopic(topic);
    const relay = createRelay({
      ...relayOptions(database.url, pubsub, topic),
      retentionMs: 1,
      retentionIntervalMs: 100,
      retentionBatchSize: 3,
    });
    await relay.start();
    try {
      await db.transaction().execute((trx) =>
        outbox.enqueue(
          trx,
          Array.from({ length: 10 }, () => committedEvent('item-r-relay')),
        ),
      );
      await waitFor(async () => (await countEvents(db, 'all')) === 5, {
        timeoutMs: 10_000,
        description: 'every published event to be deleted (the 5 dead ones of the first test remain)',
      });
      // The counter moves when the relay has the last statement's answer, just after the rows are gone.
      await waitFor(
        async () => /rims_relay_events_deleted_total (1[0-9]|[2-9][0-9])/.test(await relay.metrics.metrics()),
        { timeoutMs: 5_000, description: 'the deletions to be counted in rims_relay_events_deleted_total' },
      );
    } finally {
      await relay.stop({ timeout: 5_000 });
    }
  });
});
