import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase, waitFor } from '@rims/test-harness/vitest';
import { createRelayMetrics } from '../src/metrics.js';
import { relaySql } from '../src/queries/index.js';
import { backlogGauges } from '../src/runtime/backlog-gauges.js';
import { committedEvent, outbox } from './helpers.js';

const database = useTestDatabase({ label: 'relay_backlog_gauges' });

const valueOf = async (gauge: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await gauge.get()).values[0]?.value;

describe('backlog gauges', () => {
  it("report the backlog, and the events table's live and dead row versions and its size", async () => {
    const db = database.kysely<unknown>();
    await db.transaction().execute((trx) =>
      outbox.enqueue(
        trx,
        Array.from({ length: 20 }, (_, i) => committedEvent(`item-g-${String(i % 4)}`)),
      ),
    );
    // 8 published and then deleted by retention, 2 parked dead, 10 pending. Each UPDATE and
    // DELETE leaves a dead row version: 8 + 8 + 2 = 18 dead, 12 live.
    await sql`
      WITH ordered AS (SELECT position, row_number() OVER (ORDER BY position) AS n FROM rims_outbox.events)
      UPDATE rims_outbox.events e
      SET published_at = CASE WHEN o.n <= 8 THEN now() END,
          dead_at = CASE WHEN o.n > 18 THEN now() END
      FROM ordered o WHERE o.position = e.position AND (o.n <= 8 OR o.n > 18)`.execute(db);
    await sql`DELETE FROM rims_outbox.events WHERE published_at IS NOT NULL`.execute(db);

    const metrics = createRelayMetrics();
    const gauges = backlogGauges({
      db: database.pool,
      sql: relaySql('rims_outbox'),
      metrics,
      intervalMs: 100,
    });
    gauges.start();
    try {
      // A backend hands its row counts to the statistics when it goes idle, within about a second.
      await waitFor(async () => (await valueOf(metrics.outboxDeadRows)) === 18, {
        timeoutMs: 20_000,
        description: 'the 18 dead row versions in the gauge',
      });
      expect(await valueOf(metrics.outboxLiveRows)).toBe(12);
      expect(await valueOf(metrics.backlog)).toBe(10);
      expect(await valueOf(metrics.dead)).toBe(2);
      const size = await sql<{ bytes: string }>`
        SELECT pg_total_relation_size('rims_outbox.events') AS bytes`.execute(db);
      await waitFor(async () => (await valueOf(metrics.outboxTableBytes)) === Number(size.rows[0]?.bytes), {
        timeoutMs: 5_000,
        description: 'the table size in the gauge',
      });
    } finally {
      await gauges.stop();
    }
  });
});
