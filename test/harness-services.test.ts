import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';

const database = useTestDatabase({ label: 'harness' });
const pubsub = useTestPubSub();

describe('test harness', () => {
  it('gives each file its own migrated database', async () => {
    const db = database.kysely<unknown>();
    const name = await sql<{ db: string }>`SELECT current_database() AS db`.execute(db);
    expect(name.rows[0]?.db).toBe(database.name);
    const ledger = await sql<{ n: string }>`SELECT count(*) AS n FROM rims_outbox.schema_migrations`.execute(
      db,
    );
    expect(Number(ledger.rows[0]?.n)).toBeGreaterThan(0);
  });

  it('publishes to and pulls from the real Pub/Sub emulator, in order per ordering key', async () => {
    const client = pubsub.client();
    const [topic] = await client.createTopic(pubsub.uniqueName('harness'));
    const [subscription] = await topic.createSubscription(pubsub.uniqueName('harness-sub'), {
      enableMessageOrdering: true,
    });
    const ordered = client.topic(topic.name, { messageOrdering: true });
    for (let i = 1; i <= 20; i++) {
      void ordered.publishMessage({
        data: Buffer.from(String(i)),
        orderingKey: 'item-1',
        attributes: { i: String(i) },
      });
    }
    await ordered.flush();

    const received: number[] = [];
    subscription.on('message', (message: { data: Buffer; ack: () => void }) => {
      received.push(Number(message.data.toString()));
      message.ack();
    });
    await waitFor(() => received.length >= 20, { timeoutMs: 20_000, description: '20 messages' });
    await subscription.close();
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
