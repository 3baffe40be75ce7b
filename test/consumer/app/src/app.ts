/**
 * A new user's application, built only from the published tarballs (see ../consumer.test.ts): it
 * migrates, writes a state change and its event in one transaction, and later decodes what the relay
 * published. It prints one JSON line per command for the test to check.
 *
 *   node dist/app.js produce   DATABASE_URL
 *   node dist/app.js consume   PUBSUB_EMULATOR_HOST, PUBSUB_PROJECT_ID, SUBSCRIPTION (REST, no client library)
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { OutboxValidationError, createOutbox, migrate, type EnqueuedEvent } from '@rims/outbox';
import { decodePubSubMessage, type RimsCloudEvent } from '@rims/schemas';

interface AppDb {
  items: { id: string; status: string };
}

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

async function produce(): Promise<void> {
  const db = new Kysely<AppDb>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: setting('DATABASE_URL') }) }),
  });
  try {
    const first = await migrate(db);
    const again = await migrate(db); // idempotent: nothing left to apply
    await sql`CREATE TABLE IF NOT EXISTS items (id text PRIMARY KEY, status text NOT NULL)`.execute(db);
    await db.insertInto('items').values({ id: 'item-1', status: 'available' }).execute();

    const outbox = createOutbox({ source: '//rims/consumer-check' });
    const [row]: EnqueuedEvent[] = await db.transaction().execute(async (trx) => {
      await trx.updateTable('items').set({ status: 'committed' }).where('id', '=', 'item-1').execute();
      return outbox.enqueue(trx, {
        type: 'rims.item.committed.v1',
        subject: 'item-1',
        data: { item_id: 'item-1', order_id: 'order-1', sku: 'SKU-1', quantity: 2, location_id: 'store-1' },
      });
    });

    // Invalid input is a named error from the outbox, whichever package found the problem.
    const refused = await db
      .transaction()
      .execute((trx) =>
        outbox.enqueue(trx, {
          type: 'rims.item.released.v1',
          subject: 'item-1',
          data: { item_id: 'item-1', order_id: 'order-1', reason: '\uD83D' },
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    if (!(refused instanceof OutboxValidationError))
      throw new Error(`expected OutboxValidationError, got ${String(refused)}`);

    const item = await db
      .selectFrom('items')
      .select('status')
      .where('id', '=', 'item-1')
      .executeTakeFirstOrThrow();
    console.log(
      JSON.stringify({
        applied: first.applied.length,
        appliedAgain: again.applied.length,
        event: row,
        itemStatus: item.status,
        refused: { code: refused.code, paths: refused.issues.map((issue) => issue.path) },
      }),
    );
  } finally {
    await db.destroy();
  }
}

/** A message as the Pub/Sub REST API (and a push subscription) delivers it: `data` in base64. */
interface ReceivedMessage {
  ackId: string;
  message: { data?: string; attributes?: Record<string, string>; messageId: string };
}

/** Pulls from the emulator's REST API, as a service without the Pub/Sub client library would. */
async function consume(): Promise<void> {
  const subscription = `http://${setting('PUBSUB_EMULATOR_HOST')}/v1/projects/${setting('PUBSUB_PROJECT_ID')}/subscriptions/${setting('SUBSCRIPTION')}`;
  const post = async (action: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${subscription}:${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${action}: HTTP ${String(response.status)} ${await response.text()}`);
    return response.json();
  };
  const deadline = Date.now() + 20_000;
  let received: ReceivedMessage[] = [];
  while (received.length === 0) {
    if (Date.now() > deadline) throw new Error('no message within 20s');
    received =
      ((await post('pull', { maxMessages: 10 })) as { receivedMessages?: ReceivedMessage[] })
        .receivedMessages ?? [];
  }
  const events: RimsCloudEvent[] = received.map(({ message }) => decodePubSubMessage(message));
  await post('acknowledge', { ackIds: received.map(({ ackId }) => ackId) });
  // A decoded event is typed by its `type`: data.quantity exists only on committed events.
  console.log(
    JSON.stringify(
      events.map((event) => ({
        type: event.type,
        subject: event.subject,
        sequence: event.sequence,
        id: event.id,
        quantity: event.type === 'rims.item.committed.v1' ? event.data.quantity : undefined,
      })),
    ),
  );
}

const command = process.argv[2];
if (command === 'produce') await produce();
else if (command === 'consume') await consume();
else throw new Error(`usage: app.js produce | consume (got ${String(command)})`);
