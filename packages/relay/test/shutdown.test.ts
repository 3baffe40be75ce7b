import type { Topic } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay } from '../src/index.js';
import { countEvents, enqueueRoundRobin, relayOptions } from './helpers.js';

const database = useTestDatabase({ label: 'relay_shutdown' });
const pubsub = useTestPubSub();

describe('a relay stopping', () => {
  it("never flushes the client: flush() sends a key's queued batch while another is in flight", async () => {
    const db = database.kysely<unknown>();
    const topicName = pubsub.uniqueName('shutdown');
    const client = pubsub.client();
    await client.createTopic(topicName);
    // The real client, observed: count calls of flush() on the topics it hands out.
    let flushes = 0;
    const topicOf = client.topic.bind(client);
    client.topic = (...args: Parameters<typeof client.topic>): Topic => {
      const topic = topicOf(...args);
      const flush = topic.flush.bind(topic);
      topic.flush = () => {
        flushes += 1;
        return flush();
      };
      return topic;
    };
    const relay = createRelay({ ...relayOptions(database.url, pubsub, topicName), pubsub: client });
    await relay.start();
    await enqueueRoundRobin(db, ['item-s-1', 'item-s-2'], 50);
    await waitFor(async () => (await countEvents(db, 'pending')) === 0, { description: 'all published' });
    // Some more in flight at the stop.
    await enqueueRoundRobin(db, ['item-s-1', 'item-s-2'], 50);
    expect((await relay.stop({ timeout: 5_000 })).drained).toBe(true);
    expect(flushes).toBe(0);
  });
});
