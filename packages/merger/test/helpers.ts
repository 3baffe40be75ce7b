import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { makeScratchDirectory, seededRandom } from '@rims/test-harness';
import {
  STRUCTURED_CONTENT_TYPE,
  buildCloudEvent,
  safeDecodePubSubMessage,
  toPubSubMessage,
  type EventData,
  type RimsCloudEvent,
  type ItemEventType,
} from '@rims/schemas';
import {
  DEFAULT_DATASETS,
  HISTORY_REBUILT,
  openDuckDbWarehouse,
  provisionWarehouse,
  renderStatement,
  toRawRow,
  type Warehouse,
} from '../src/index.js';

/** A provisioned DuckDB warehouse in a temporary directory of the calling test file, removed after it. */
export function useDuckDbWarehouse(): {
  readonly warehouse: Warehouse;
  readonly path: string;
  readonly dir: string;
} {
  let state: { warehouse: Warehouse; path: string; dir: string } | undefined;
  beforeAll(async () => {
    const dir = makeScratchDirectory('merger-test');
    const path = join(dir, 'warehouse.duckdb');
    const warehouse = await openDuckDbWarehouse(path);
    await provisionWarehouse(warehouse);
    state = { warehouse, path, dir };
  });
  afterAll(async () => {
    if (!state) return;
    await state.warehouse.close();
    rmSync(state.dir, { recursive: true, force: true });
  });
  const ready = () => {
    if (!state) throw new Error('the warehouse is ready only inside tests and hooks');
    return state;
  };
  return {
    get warehouse() {
      return ready().warehouse;
    },
    get path() {
      return ready().path;
    },
    get dir() {
      return ready().dir;
    },
  };
}

let counter = 0;

/** A valid event of `type` for `item` at `sequence`, with a fresh id unless given. */
export function itemEvent<T extends ItemEventType>(
  type: T,
  item: string,
  sequence: number,
  data: Partial<EventData<T>> = {},
  id = `evt-${item}-${String(sequence)}-${String((counter += 1))}`,
): RimsCloudEvent<T> {
  const base: Record<ItemEventType, Record<string, unknown>> = {
    'rims.item.committed.v1': {
      order_id: `order-${item}-${String(sequence)}`,
      sku: `SKU-${item}`,
      quantity: sequence,
      location_id: 'store-1',
    },
    'rims.item.released.v1': { order_id: `order-${item}-${String(sequence)}`, reason: 'timeout' },
    'rims.item.fulfilled.v1': { order_id: `order-${item}-${String(sequence)}`, shipment_id: 'ship-1' },
    'rims.item.cancelled.v1': { order_id: `order-${item}-${String(sequence)}`, reason: 'customer' },
    'rims.item.snapshot.v1': {
      status: 'committed',
      order_id: `order-${item}-${String(sequence)}`,
      sku: `SKU-${item}`,
      quantity: sequence,
      location_id: 'store-1',
    },
  };
  return buildCloudEvent({
    id,
    source: '//rims/test',
    type,
    subject: item,
    time: new Date(Date.UTC(2026, 0, 1) + sequence * 1000),
    sequence,
    data: { item_id: item, ...base[type], ...data } as unknown as EventData<T>,
  });
}

/** A valid pipeline heartbeat of relay `replica`, enqueued at `sentAt`, with a fresh id unless given. */
export function heartbeatEvent(
  replica: string,
  sequence: number,
  sentAt = new Date(Date.UTC(2026, 0, 1) + sequence * 1000),
  id = `hb-${replica}-${String(sequence)}-${String((counter += 1))}`,
): RimsCloudEvent<'rims.pipeline.heartbeat.v1'> {
  return buildCloudEvent({
    id,
    source: '//rims/relay',
    type: 'rims.pipeline.heartbeat.v1',
    subject: `heartbeat/${replica}`,
    time: sentAt,
    sequence,
    data: { replica, sent_at: sentAt.toISOString() },
  });
}

/**
 * A body as a producer would publish it: a valid event through toPubSubMessage; an invalid one (which
 * toPubSubMessage, through the cloudevents SDK, refuses or repairs) as its JSON text, structured
 * mode when it looks like a CloudEvent.
 */
function encodeBody(body: unknown): {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
} {
  const data = Buffer.from(JSON.stringify(body));
  if (typeof body !== 'object' || body === null || !('specversion' in body)) {
    return { data, attributes: {}, orderingKey: '' };
  }
  if (safeDecodePubSubMessage({ data }).ok) return toPubSubMessage(body as RimsCloudEvent);
  const subject = (body as { subject?: unknown }).subject;
  return {
    data,
    attributes: { 'content-type': STRUCTURED_CONTENT_TYPE },
    orderingKey: typeof subject === 'string' ? subject : '',
  };
}

/**
 * Lands bodies in the raw table exactly as the lander (and the BigQuery subscription) would: each
 * through toRawRow with the given publish time and message id. Unwritable bodies throw.
 */
export async function landRaw(
  warehouse: Warehouse,
  messages: readonly { body: unknown; publishTime: Date; messageId?: string }[],
): Promise<void> {
  const rows = messages.map((message, index) => {
    const encoded = encodeBody(message.body);
    const result = toRawRow(
      {
        data: encoded.data,
        attributes: encoded.attributes,
        messageId: message.messageId ?? `msg-${String((counter += 1))}-${String(index)}`,
        publishTime: message.publishTime,
        orderingKey: encoded.orderingKey,
      },
      'projects/rims-test/subscriptions/rims-item-events-raw',
    );
    if (!result.ok) throw new Error(result.error);
    return result.row;
  });
  if (rows.length === 0) return;
  await warehouse.query(
    renderStatement('duckdb', 'land/insert_raw_item_events.generated.sql', DEFAULT_DATASETS),
    {
      params: { rows: { type: 'STRING', value: JSON.stringify(rows) } },
    },
  );
}

/** Rows of a query, for assertions. */
export async function select(warehouse: Warehouse, sql: string): Promise<Record<string, unknown>[]> {
  return (await warehouse.query(sql)).rows;
}

/** A deterministic shuffle, so a failing order can be reproduced from the seed. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** `base` plus `minutes`. */
export const plusMinutes = (base: Date, minutes: number) => new Date(base.getTime() + minutes * 60_000);

/** The columns of rims_core.item_commitment_history, in table order. */
export const HISTORY_COLUMNS =
  'item_id, version, status, order_id, sku, quantity, location_id, is_potentially_committed, event_id, valid_from, valid_to, is_current';

/** history/rebuilt.sql for DuckDB as a subquery (no trailing semicolon): history rebuilt from Core. */
export const rebuiltHistorySql = (): string =>
  renderStatement('duckdb', HISTORY_REBUILT, DEFAULT_DATASETS).replace(/;\s*$/, '');
