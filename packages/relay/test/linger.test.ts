import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay, type Relay } from '../src/index.js';
import { committedEvent, distinctIds, outbox, relayOptions, uniqueOrderedTopic } from './helpers.js';

const database = useTestDatabase({ label: 'relay_linger' });
const pubsub = useTestPubSub();

const LINGER_MS = 200;

/** How many times the relay has run a statement, from its own counter on /metrics. */
async function statementCount(relay: Relay, name: string): Promise<number> {
  const text = await relay.metrics.metrics();
  const match = new RegExp(`rims_relay_db_statements_total\\{statement="${name}"\\} (\\d+)`).exec(text);
  return Number(match?.[1] ?? 0);
}

describe('the linger under steady traffic', () => {
  let relay: Relay;
  let topic: Awaited<ReturnType<typeof uniqueOrderedTopic>>;

  beforeAll(async () => {
    topic = await uniqueOrderedTopic(pubsub, 'linger');
    relay = createRelay({
      ...relayOptions(database.url, pubsub, topic.topic),
      replicaId: 'relay-linger',
      lingerMs: LINGER_MS,
      // Busy throughout: each look finds the commits of the last linger, so the relay never idles.
      idleAfterMs: 2_000,
      pollIntervalMs: 60_000,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop({ timeout: 5_000 });
    await topic.close();
  });

  it('bounds how often the relay fetches: about once per linger, not once per publish', async () => {
    const db = database.kysely<unknown>();
    // Steady traffic, one event per commit over 20 subjects from 4 writers, for at least 3 s and
    // 300 commits: each publish settles long before the next linger ends. A relay that fetched
    // again whenever a publish settled ran about one fetch per commit (217 fetches for 265 commits
    // in 3 s with a 100 ms linger; 159 fetches/s at 200 commits/s with a 50 ms linger).
    const ids: string[] = [];
    const fetchesBefore = await statementCount(relay, 'fetch-pending');
    const started = performance.now();
    const busy = () => {
      const elapsed = performance.now() - started;
      return elapsed < 3_000 || (ids.length < 300 && elapsed < 30_000);
    };
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let i = 0; busy(); i++) {
          const subject = `item-linger-${String(writer * 5 + (i % 5))}`;
          const [row] = await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent(subject)));
          ids.push(row?.id ?? '');
        }
      }),
    );
    const seconds = (performance.now() - started) / 1_000;
    const fetches = (await statementCount(relay, 'fetch-pending')) - fetchesBefore;
    await waitFor(() => ids.every((id) => distinctIds(topic.received).has(id)), {
      timeoutMs: 20_000,
      description: 'every event of the traffic',
    });

    expect(ids.length, 'enough commits to judge').toBeGreaterThanOrEqual(300);
    // One look per linger is seconds * 5; twice that and 10 more leaves room for the NOTIFY that
    // starts the traffic and for fetches that find a full batch, never for one per commit.
    expect(
      fetches,
      `${String(fetches)} fetches for ${String(ids.length)} commits in ${seconds.toFixed(1)} s`,
    ).toBeLessThanOrEqual(Math.ceil(((seconds * 1_000) / LINGER_MS) * 2) + 10);
  }, 60_000);
});
