import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { toPubSubMessage } from '@rims/schemas';
import {
  emulatorClientConfig,
  refuseReconnects,
  startFaultProxy,
  useTestPubSub,
  waitFor,
  useScratchDirectory,
} from '@rims/test-harness/vitest';
import {
  UndeliverableMessagesError,
  WarehouseError,
  createLander,
  openDuckDbWarehouse,
  provisionPubSub,
} from '../src/index.js';
import { itemEvent, select, useDuckDbWarehouse } from './helpers.js';

const pubsub = useTestPubSub();
const local = useDuckDbWarehouse();
const scratch = useScratchDirectory('merger-land');

async function setUp() {
  const client = pubsub.client();
  const names = {
    topic: pubsub.uniqueName('events'),
    deadLetterTopic: pubsub.uniqueName('dead'),
    subscription: pubsub.uniqueName('raw'),
  };
  const steps = await provisionPubSub(client, { ...names, kind: 'pull' });
  return { client, names, steps };
}

describe('the lander (local stand-in for the BigQuery subscription) on the Pub/Sub emulator', () => {
  it('provisions idempotently: topic, dead-letter topic and its subscription, pull subscription with a dead-letter policy', async () => {
    const { client, names, steps } = await setUp();
    expect(steps.map((step) => step.status)).toEqual(['created', 'created', 'created', 'created']);
    const again = await provisionPubSub(client, { ...names, kind: 'pull' });
    expect(again.map((step) => step.status)).toEqual(['exists', 'exists', 'exists', 'exists']);
    const [metadata] = await client.subscription(names.subscription).getMetadata();
    expect(metadata.deadLetterPolicy).toEqual({
      deadLetterTopic: `projects/${pubsub.projectId}/topics/${names.deadLetterTopic}`,
      maxDeliveryAttempts: 5,
    });
    expect((await client.subscription(names.deadLetterTopic).exists())[0]).toBe(true);
  });

  it('writes the rows the subscription would, acks after commit, and dead-letters what it cannot write', async () => {
    const { warehouse } = local;
    const { client, names } = await setUp();
    const topic = client.topic(names.topic, { messageOrdering: true });
    const events = Array.from({ length: 30 }, (_, i) =>
      itemEvent('rims.item.committed.v1', `land-${String(i % 6)}`, 1 + Math.floor(i / 6)),
    );
    for (const event of events) void topic.publishMessage(toPubSubMessage(event));
    void topic.publishMessage({ data: Buffer.from('not json'), attributes: { note: 'garbage' } });
    void topic.publishMessage({
      data: Buffer.from(JSON.stringify({ ...events[0], id: 'bad', subject: 42 })),
    });
    await topic.flush();

    const lander = createLander({
      warehouse,
      pubsub: client,
      subscription: names.subscription,
      batchSize: 7,
    });
    const report = await lander.drain();
    await lander.stop();
    expect(report).toMatchObject({ landed: 30, deadLettered: 2, retried: 8 });

    const rows = await select(
      warehouse,
      `SELECT id, subject, sequence, data, subscription_name, message_id, publish_time, attributes
       FROM rims_raw.item_events WHERE subject LIKE 'land-%' ORDER BY id`,
    );
    expect(rows).toHaveLength(30);
    const first = events[0];
    const row = rows.find((candidate) => candidate.id === first?.id);
    expect(row).toMatchObject({
      subject: 'land-0',
      sequence: '1',
      data: { item_id: 'land-0', quantity: 1, sku: 'SKU-land-0', reason: null },
      subscription_name: `projects/${pubsub.projectId}/subscriptions/${names.subscription}`,
    });
    expect(row?.publish_time).toBeInstanceOf(Date);
    expect(JSON.parse(String(row?.attributes))).toMatchObject({
      'content-type': 'application/cloudevents+json',
      'ce-id': first?.id,
      ordering_key: 'land-0',
    });

    // Acknowledged: nothing comes back.
    const again = createLander({ warehouse, pubsub: client, subscription: names.subscription });
    expect(await again.drain()).toMatchObject({ landed: 0, deadLettered: 0 });
    await again.stop();

    const dead: { attributes: Record<string, string>; ack(): void }[] = [];
    const deadLetters = client.subscription(names.deadLetterTopic);
    deadLetters.on('message', (message: { attributes: Record<string, string>; ack(): void }) => {
      dead.push(message);
      message.ack();
    });
    await waitFor(() => dead.length >= 2, { timeoutMs: 20_000, description: 'two dead letters' });
    await deadLetters.close();
    const reasons = dead
      .map((message) => message.attributes.CloudPubSubDeadLetterSourceDeliveryErrorMessage)
      .sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^subject: a JSON integer cannot be written to the STRING column subject/),
      expect.stringMatching(/^the message body is not JSON/),
    ]);
    expect(dead.find((message) => message.attributes.note === 'garbage')?.attributes).toMatchObject({
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
      CloudPubSubDeadLetterSourceSubscription: names.subscription,
    });
  });

  it('hands a batch back when the warehouse fails, so nothing is lost', async () => {
    const { warehouse } = local;
    const { client, names } = await setUp();
    const events = Array.from({ length: 5 }, (_, i) => itemEvent('rims.item.released.v1', 'handback', i + 1));
    for (const event of events) await client.topic(names.topic).publishMessage(toPubSubMessage(event));

    // A warehouse without the raw table: the insert fails like a table the subscription cannot reach.
    const broken = await openDuckDbWarehouse(join(scratch, 'unprovisioned.duckdb'));
    const failing = createLander({ warehouse: broken, pubsub: client, subscription: names.subscription });
    await expect(failing.drain()).rejects.toBeInstanceOf(WarehouseError);
    await failing.stop();
    await broken.close();

    const lander = createLander({ warehouse, pubsub: client, subscription: names.subscription });
    expect((await lander.drain()).landed).toBe(5);
    await lander.stop();
    const [count] = await select(
      warehouse,
      "SELECT count(*) AS n FROM rims_raw.item_events WHERE subject = 'handback'",
    );
    expect(count?.n).toBe(5);
  });

  it('keeps unwritable messages in the backlog when the subscription has no dead-letter policy', async () => {
    const { warehouse } = local;
    const client = pubsub.client();
    const [topic] = await client.createTopic(pubsub.uniqueName('plain'));
    const [subscription] = await topic.createSubscription(pubsub.uniqueName('plain-sub'));
    await topic.publishMessage({ data: Buffer.from('[]') });
    const lander = createLander({
      warehouse,
      pubsub: client,
      subscription: subscription.name.split('/').pop() ?? '',
    });
    await expect(lander.drain()).rejects.toBeInstanceOf(UndeliverableMessagesError);
    await lander.stop();
  });

  it('lands continuously between start() and stop()', async () => {
    const { warehouse } = local;
    const { client, names } = await setUp();
    const lander = createLander({ warehouse, pubsub: client, subscription: names.subscription });
    await lander.start();
    await client
      .topic(names.topic)
      .publishMessage(toPubSubMessage(itemEvent('rims.item.cancelled.v1', 'continuous', 1)));
    await waitFor(
      async () =>
        (await select(warehouse, "SELECT id FROM rims_raw.item_events WHERE subject = 'continuous'"))
          .length === 1,
      {
        timeoutMs: 20_000,
        description: 'the continuous lander to land the event',
      },
    );
    await lander.stop({ timeout: 20_000 });
    expect(lander.report().landed).toBe(1);
  });
  // gRPC's reconnect backoff grows by 1.6 per failed attempt up to 120 s: without a cap, a lander
  // that lived through a long outage pulled nothing for minutes after Pub/Sub was back.
  it('lands again within moments of Pub/Sub coming back, however many reconnects failed', async () => {
    const { warehouse } = local;
    const { client, names } = await setUp();
    const proxy = await startFaultProxy(pubsub.host);
    const proxied = new PubSub(emulatorClientConfig(proxy.host, pubsub.projectId));
    const retryDelayMs = 500;
    const lander = createLander({
      warehouse,
      pubsub: proxied,
      subscription: names.subscription,
      retryDelayMs,
    });
    const topic = client.topic(names.topic);
    const landed = async (subject: string) =>
      (await select(warehouse, `SELECT id FROM rims_raw.item_events WHERE subject = '${subject}'`)).length ===
      1;
    try {
      await lander.start();
      await topic.publishMessage(toPubSubMessage(itemEvent('rims.item.committed.v1', 'reconnect-1', 1)));
      await waitFor(() => landed('reconnect-1'), {
        timeoutMs: 20_000,
        description: 'the first event to land',
      });

      // Six refused reconnects: gRPC's next wait would be 1.6^6 s = 16.8 s (±20 %) without the cap.
      const outage = refuseReconnects(proxy, 6);
      await topic.publishMessage(toPubSubMessage(itemEvent('rims.item.committed.v1', 'reconnect-2', 1)));
      await outage;
      const healed = performance.now();
      await waitFor(() => landed('reconnect-2'), {
        timeoutMs: 60_000,
        intervalMs: 50,
        description: 'the event published during the outage to land',
      });
      // A reconnect wait, a pull's own retry sleep (the client's, up to 2 s in a 10 s pull), the
      // lander's retry delay, and slack for a loaded machine.
      expect(performance.now() - healed).toBeLessThan(1_000 + 2_000 + retryDelayMs + 2_000);
    } finally {
      await lander.stop({ timeout: 20_000 });
      await proxied.close();
      await proxy.close();
    }
  }, 120_000);
});
