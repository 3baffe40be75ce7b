/**
 * What JSDoc and README examples may use without declaring it: the application's database and ids,
 * a Pub/Sub client and message, a warehouse. Everything else an example uses it imports or defines.
 * Only the examples program includes this file (tsconfig.check.json and eslint leave it out), so
 * no other code sees these globals.
 */
import type { Message, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { Warehouse } from '@rims/merger';
import type { Outbox } from '@rims/outbox';
import type { PendingRow, Relay, RelayOptions, TracerLike } from '@rims/relay';
import type { CliIo } from '../../packages/merger/dist/cli/context.js';
import type { CloudEventFields, EventData, EventInput, RimsCloudEvent } from '@rims/schemas';

declare global {
  /** The application's own tables, changed in the same transaction as `enqueue`. */
  interface AppDb {
    items: { id: string; status: string };
  }
  const db: Kysely<AppDb>;
  const itemId: string;
  const orderId: string;
  const sku: string;
  const locationId: string;
  const data: EventData<'rims.item.committed.v1'>;
  const event: RimsCloudEvent;
  const events: EventInput[];
  const outbox: Outbox;
  const fields: CloudEventFields;
  const body: string;
  const pubsub: PubSub;
  const topic: Topic;
  const subscription: Subscription;
  const message: Message;
  const warehouse: Warehouse;
  /** An OpenTelemetry `Meter`, the part examples use (the workspace does not install @opentelemetry/api). */
  const meter: { createGauge(name: string, options?: { unit?: string; description?: string }): unknown };
  /** What `runCli` of @rims/merger writes to and listens on. */
  const io: CliIo;
  const logger: { error(fields: object, text: string): void; warn(fields: unknown): void };
  function reserve(itemId: string, quantity: number): void;
  /** The relay's side: its database pool, a relay, an outbox row, a caught error. */
  const pool: Pool;
  const databaseUrl: string;
  const relay: Relay;
  const options: RelayOptions;
  const row: PendingRow;
  const error: unknown;
  const since: string;
  const tracer: TracerLike;
  /** OpenTelemetry's `trace` API, the part examples use (the workspace does not install @opentelemetry/api). */
  const trace: { getTracer(name: string): TracerLike };
}
export {};
