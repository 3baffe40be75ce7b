import { afterEach, describe, it } from 'vitest';
import {
  startFaultProxy,
  useTestDatabase,
  useTestPubSub,
  waitFor,
  type FaultProxy,
} from '@rims/test-harness/vitest';
import { createRelay, type Relay } from '../src/index.js';
import { committedEvent, countEvents, keptLogger, outbox, uniqueOrderedTopic } from './helpers.js';

const database = useTestDatabase({ label: 'relay_slow_pubsub' });
const pubsub = useTestPubSub();

describe('a Pub/Sub that does less than it is sent', () => {
  let relay: Relay | undefined;
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await relay?.stop({ timeout: 2_000 });
    await proxy?.close();
  });

  // A backlog over many subjects goes out as one request per subject, all at once. Through a link
  // that passes a fraction of them within the publish deadline, the requests the client gave up on
  // still go through ahead of their retries: without a limit on the requests in flight every wave
  // of retries fails behind the last, and the backlog never drains (a niced emulator, and likely a
  // loaded CI run after an emulator restart, did the same).
  it('drains a backlog of many subjects by sending fewer requests at a time', async () => {
    const subjects = Array.from({ length: 300 }, (_, i) => `item-slow-${String(i).padStart(3, '0')}`);
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'slow');
    proxy = await startFaultProxy(pubsub.host);
    const faults = proxy;
    const logs = keptLogger(5);
    const db = database.kysely<unknown>();
    try {
      await db.transaction().execute((trx) =>
        outbox.enqueue(
          trx,
          subjects.map((s) => committedEvent(s)),
        ),
      );
      faults.throttle(30_000);
      relay = createRelay({
        databaseUrl: database.url,
        emulatorHost: faults.host,
        projectId: pubsub.projectId,
        topic,
        logger: logs.logger,
        publishTimeoutMs: 1_500,
        backoffInitialMs: 50,
        backoffMaxMs: 1_000,
        pollIntervalMs: 100,
        heartbeatEventIntervalMs: 0,
      });
      await relay.start();
      const published = () => new Set(received.map((r) => r.event.subject)).size;
      await waitFor(() => published() === subjects.length, {
        timeoutMs: 90_000,
        intervalMs: 100,
        description: () =>
          `every subject to be published; ${String(published())} were, ${String(faults.throttled)} bytes wait in the link; the relay's last warnings:\n${logs.lines().join('\n')}`,
      });
      // ... and recorded: nothing is left pending.
      await waitFor(async () => (await countEvents(db, 'pending')) === 0, {
        timeoutMs: 10_000,
        description: 'every event to be recorded published',
      });
    } finally {
      await close();
    }
  }, 120_000);
});
