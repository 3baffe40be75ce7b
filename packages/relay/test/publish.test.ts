import { CloudEvent } from 'cloudevents';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPIED_ATTRIBUTES, STRUCTURED_CONTENT_TYPE } from '@rims/schemas';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { createRelay, type Relay } from '../src/index.js';
import { committedEvent, countEvents, orderedTopic, outbox, type Received, relayOptions } from './helpers.js';

const database = useTestDatabase({ label: 'relay_publish' });
const pubsub = useTestPubSub();

describe('publishing', () => {
  let relay: Relay;
  let received: Received[];
  let close: () => Promise<void>;
  let topicName: string;

  beforeAll(async () => {
    topicName = pubsub.uniqueName('publish');
    ({ received, close } = await orderedTopic(pubsub.client(), {
      topic: topicName,
      subscription: pubsub.uniqueName('publish-sub'),
    }));
    relay = createRelay({
      ...relayOptions(database.url, pubsub, topicName),
      // Polling effectively off: only NOTIFY can wake the relay promptly.
      pollIntervalMs: 60_000,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop({ timeout: 5_000 });
    await close();
  });

  it('publishes a committed event as a structured-mode CloudEvent, woken by NOTIFY', async () => {
    const db = database.kysely<unknown>();
    await sql`SELECT pg_sleep(0.5)`.execute(db); // let the first (empty) polls pass
    const started = Date.now();
    const [row] = await db.transaction().execute((trx) => outbox.enqueue(trx, committedEvent('item-1')));
    await waitFor(() => received.length >= 1, { timeoutMs: 10_000, description: 'the event' });
    expect(Date.now() - started, 'published on NOTIFY, not on the 60 s poll').toBeLessThan(5_000);

    const first = received[0];
    if (!first) throw new Error('nothing received');
    const { event, message } = first;
    expect(event.id).toBe(row?.id);
    expect(message.orderingKey).toBe('item-1');
    expect(message.attributes['content-type']).toBe(STRUCTURED_CONTENT_TYPE);
    for (const name of COPIED_ATTRIBUTES) expect(message.attributes[`ce-${name}`]).toBe(event[name]);
    const stored = await sql<{ micros: string }>`
      SELECT extract(microseconds FROM time)::text AS micros FROM rims_outbox.events WHERE id = ${event.id}`.execute(
      db,
    );
    expect(event.time, 'the database clock, to the microsecond').toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
    );
    expect(Number(event.time.slice(17, 26).replace('.', ''))).toBe(Number(stored.rows[0]?.micros));
    expect(event.sequence).toBe('1');

    const body = JSON.parse(message.data.toString()) as Record<string, unknown>;
    const cloudEvent = new CloudEvent(body, true);
    expect(cloudEvent.validate()).toBe(true);
    expect(cloudEvent.specversion).toBe('1.0');
    expect(cloudEvent.data).toEqual(event.data);

    await waitFor(async () => (await countEvents(db, 'published')) === 1, {
      description: 'the event to be recorded as published',
    });
  });

  it('carries the traceparent of the enqueuing code', async () => {
    const db = database.kysely<unknown>();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    // With polling off, only a NOTIFY wakes the relay, and a writer NOTIFYs only if the relay is
    // marked waiting when it enqueues (README: wake-ups). Right after the previous test the relay may
    // still be lingering; a transaction enqueued then and committed after its confirming fetch would
    // wait for the 60 s poll.
    await waitFor(() => relay.health().details.waitingForWakeUp === true, {
      description: 'the relay to be marked waiting',
    });
    await db.transaction().execute(async (trx) => {
      const [row] = await outbox.enqueue(trx, committedEvent('item-traced'));
      await sql`UPDATE rims_outbox.events SET traceparent = ${traceparent} WHERE id = ${row?.id}`.execute(
        trx,
      );
    });
    const arrived = await waitFor(() => received.find((r) => r.event.subject === 'item-traced'), {
      timeoutMs: 10_000,
    });
    expect(arrived.event.traceparent).toBe(traceparent);
  });

  it('reports health, readiness and metrics', async () => {
    const report = relay.health();
    expect(report.healthy).toBe(true);
    expect(report.ready).toBe(true);
    expect(report.details.leasesHeld).toBe(64);
    const text = await relay.metrics.metrics();
    expect(text).toMatch(/rims_relay_events_published_total [1-9]/);
    expect(text).toContain('rims_relay_publish_duration_seconds_bucket');
    expect(text).toContain('rims_relay_leases_held 64');
    // Round trips to PostgreSQL, by SQL file: the fetch and the mark of the events above.
    expect(text).toMatch(/rims_relay_db_statements_total\{statement="fetch-pending"\} [1-9]/);
    expect(text).toMatch(/rims_relay_db_statements_total\{statement="mark-published"\} [1-9]/);
  });
});
