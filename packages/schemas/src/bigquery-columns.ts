import { z } from 'zod';
import { envelopeSchemaFor } from './envelope.js';
import { RIMS_EVENT_TYPES, eventCatalog } from './event-types.js';

/** BigQuery column types used by the raw table. */
export type BigQueryType = 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP' | 'JSON' | 'RECORD';

/** One column in the `bq mk --schema` JSON format; a RECORD lists its nested `fields`. */
export interface BigQueryColumn {
  readonly name: string;
  readonly type: BigQueryType;
  readonly mode: 'NULLABLE' | 'REQUIRED';
  readonly description: string;
  readonly fields?: readonly BigQueryColumn[];
}

/**
 * The columns a Pub/Sub BigQuery subscription with `write_metadata` adds. `ordering_key` and the
 * message attributes go into the `attributes` JSON object. The metadata `data` column (the raw
 * message body) is only written when neither `use_table_schema` nor `use_topic_schema` is set; with
 * `use_table_schema` the column named `data` receives the CloudEvent's own `data` field instead.
 */
export const SUBSCRIPTION_METADATA_COLUMNS: readonly BigQueryColumn[] = [
  {
    name: 'subscription_name',
    type: 'STRING',
    mode: 'NULLABLE',
    description: 'Pub/Sub subscription that wrote the row',
  },
  { name: 'message_id', type: 'STRING', mode: 'NULLABLE', description: 'Pub/Sub message id' },
  {
    name: 'publish_time',
    type: 'TIMESTAMP',
    mode: 'NULLABLE',
    description: 'Pub/Sub publish time; partition column',
  },
  {
    name: 'attributes',
    type: 'JSON',
    mode: 'NULLABLE',
    description: 'Pub/Sub attributes and ordering_key as a JSON object',
  },
];

/** The parts of a JSON Schema property (as {@link eventJsonSchema} writes them) that decide a column type. */
export interface JsonSchemaProperty {
  /** JSON type: `string`, `integer`, `number`, `boolean` or `object`. */
  type?: string;
  /** String format such as `date-time`. */
  format?: string;
  /** A fixed value (CloudEvents `specversion`, an event's `type`). */
  const?: unknown;
  /** Becomes the column description. */
  description?: string;
}

/**
 * Maps one JSON Schema property (derived from zod) to the BigQuery type a `use_table_schema`
 * subscription writes its JSON value to. Strings stay STRING even with a `date-time` format: the
 * subscription converts a string to TIMESTAMP with BigQuery's own, more lenient parser (it takes a
 * space for `T` and a missing zone, which @rims/schemas rejects) and fails on more than six
 * fractional digits (which @rims/schemas accepts), so the text is kept and Core parses it.
 * Objects are RECORDs: a JSON column would take only an escaped JSON string, not an object.
 */
export function bigQueryTypeOf(property: JsonSchemaProperty, name: string): BigQueryType {
  switch (property.type) {
    case 'object':
      return 'RECORD';
    case 'integer':
      return 'INT64';
    case 'number':
      return 'FLOAT64';
    case 'boolean':
      return 'BOOL';
    case 'string':
      return 'STRING';
    default:
      if (typeof property.const === 'string') return 'STRING';
      throw new Error(`No BigQuery type for field '${name}' (${JSON.stringify(property)})`);
  }
}

/**
 * The nested fields of the raw `data` RECORD: the union of every event type's data fields, in
 * catalogue order. A field two types share must map to the same type.
 */
export function rawDataFields(): BigQueryColumn[] {
  const fields = new Map<string, BigQueryColumn>();
  for (const type of RIMS_EVENT_TYPES) {
    const schema = z.toJSONSchema(eventCatalog[type].loose) as {
      properties: Record<string, JsonSchemaProperty>;
    };
    for (const [name, property] of Object.entries(schema.properties)) {
      const column: BigQueryColumn = {
        name,
        type: bigQueryTypeOf(property, `data.${name}`),
        mode: 'NULLABLE',
        description: property.description ?? name,
      };
      const known = fields.get(name);
      if (known && known.type !== column.type) {
        throw new Error(
          `data.${name} is ${known.type} in one event type and ${column.type} in ${type}; a field name must keep its type across the catalogue`,
        );
      }
      if (!known) fields.set(name, column);
    }
  }
  return [...fields.values()];
}

/**
 * The columns of `rims_raw.item_events`: every CloudEvent envelope field (derived from the zod
 * envelope, in envelope order; `data` as a RECORD of every type's data fields) followed by the
 * subscription metadata columns. Every column is NULLABLE so that malformed events still land and
 * are rejected, with a reason, on the way to Core.
 */
export function rawItemEventsColumns(): BigQueryColumn[] {
  const [firstType] = RIMS_EVENT_TYPES;
  if (firstType === undefined) throw new Error('the event catalogue is empty');
  const jsonSchema = z.toJSONSchema(envelopeSchemaFor(firstType)) as {
    properties: Record<string, JsonSchemaProperty>;
  };
  const names = Object.keys(jsonSchema.properties);
  const envelope = names.map((name): BigQueryColumn => {
    const property = jsonSchema.properties[name] ?? {};
    if (name === 'data') {
      return {
        name,
        type: 'RECORD',
        mode: 'NULLABLE',
        description: 'The event payload: the union of every event type’s data fields',
        fields: rawDataFields(),
      };
    }
    return {
      name,
      type: bigQueryTypeOf(property, name),
      mode: 'NULLABLE',
      description: property.description ?? name,
    };
  });
  return [...envelope, ...SUBSCRIPTION_METADATA_COLUMNS];
}
