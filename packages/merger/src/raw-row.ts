import { Buffer } from 'node:buffer';
import { rawItemEventsColumns, type BigQueryColumn } from '@rims/schemas';

/**
 * A received Pub/Sub message, as the lander sees it (an `@google-cloud/pubsub` pull response's
 * `message` fits once `publishTime` is turned into a Date).
 */
export interface LandedMessage {
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
  readonly publishTime: Date;
  readonly orderingKey?: string;
}

/** One row of `rims_raw.item_events`, with JSON-compatible values. */
export type RawRow = Record<string, unknown>;

/** What the BigQuery subscription would do with a message: write this row, or fail (then dead-letter it). */
export type RawRowResult =
  { readonly ok: true; readonly row: RawRow } | { readonly ok: false; readonly error: string };

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

class NotWritable extends Error {}

/**
 * Converts one JSON value to what a `use_table_schema` subscription writes in a column of this type,
 * following Google's documented JSON conversions (sql/bigquery/README.md): a string to STRING, a
 * whole number to INT64, a number to FLOAT64, a boolean to BOOL, an object to a RECORD (unknown
 * fields dropped, as with drop_unknown_fields). Anything else cannot be written; where the
 * documentation is silent (a number for a STRING column) the lander refuses rather than guesses.
 */
function convert(value: unknown, column: BigQueryColumn, path: string): unknown {
  if (value === null || value === undefined) return null;
  const wrong = () =>
    new NotWritable(
      `${path}: a JSON ${kindOf(value)} cannot be written to the ${column.type} column ${path}`,
    );
  switch (column.type) {
    case 'STRING':
      if (typeof value !== 'string') throw wrong();
      return value;
    case 'INT64':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong();
      if (!Number.isSafeInteger(value))
        throw new NotWritable(`${path}: ${String(value)} is outside the INT64 range`);
      return value;
    case 'FLOAT64':
      if (typeof value !== 'number') throw wrong();
      return value;
    case 'BOOL':
      if (typeof value !== 'boolean') throw wrong();
      return value;
    case 'RECORD': {
      if (typeof value !== 'object' || Array.isArray(value)) throw wrong();
      const record: Record<string, unknown> = {};
      for (const field of column.fields ?? []) {
        record[field.name] = convert(
          (value as Record<string, unknown>)[field.name],
          field,
          `${path}.${field.name}`,
        );
      }
      return record;
    }
    default:
      throw new NotWritable(`${path}: the lander does not write ${column.type} columns from message fields`);
  }
}

const METADATA = new Set(['subscription_name', 'message_id', 'publish_time', 'attributes']);

/**
 * The row a Pub/Sub BigQuery subscription with use_table_schema, write_metadata and
 * drop_unknown_fields writes for `message`, or why it cannot write one. The body must be a JSON
 * object; each top-level field fills the column of its name; fields without a column are dropped;
 * `subscription_name`, `message_id`, `publish_time` and `attributes` (every attribute, plus
 * `ordering_key` when the message has one) come from the message itself.
 *
 * @example
 * const result = toRawRow(
 *   { data: message.data, attributes: message.attributes, messageId: message.id, publishTime: message.publishTime },
 *   'projects/rims-local/subscriptions/rims-item-events-raw',
 * );
 * if (!result.ok) message.nack(); // the subscription's dead-letter policy parks it
 */
export function toRawRow(
  message: LandedMessage,
  subscriptionName: string,
  columns: readonly BigQueryColumn[] = rawItemEventsColumns(),
): RawRowResult {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(message.data).toString('utf8'));
  } catch (error) {
    return {
      ok: false,
      error: `the message body is not JSON (${(error as Error).message}); use_table_schema needs a JSON object`,
    };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      error: `the message body is a JSON ${kindOf(body)}; use_table_schema needs a JSON object`,
    };
  }
  const row: RawRow = {};
  try {
    for (const column of columns) {
      if (METADATA.has(column.name)) continue;
      row[column.name] = convert((body as Record<string, unknown>)[column.name], column, column.name);
    }
  } catch (error) {
    if (error instanceof NotWritable) return { ok: false, error: error.message };
    throw error;
  }
  const attributes: Record<string, string> = { ...message.attributes };
  if (message.orderingKey) attributes.ordering_key = message.orderingKey;
  row.subscription_name = subscriptionName;
  row.message_id = message.messageId;
  row.publish_time = message.publishTime.toISOString();
  row.attributes = attributes;
  return { ok: true, row };
}
