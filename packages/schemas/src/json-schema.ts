import { z } from 'zod';
import { envelopeSchemaFor } from './envelope.js';
import { eventCatalog, type RimsEventType } from './event-types.js';

/**
 * The JSON Schema (draft 2020-12) of one event type's whole CloudEvent, derived from the zod schemas.
 * Unknown fields are allowed, as consumers must tolerate additive changes (see VERSIONING.md).
 *
 * @example
 * const schema = eventJsonSchema('rims.item.committed.v1'); // hand to ajv, a schema registry, docs
 */
export function eventJsonSchema(type: RimsEventType): Record<string, unknown> {
  const schema = z.toJSONSchema(envelopeSchemaFor(type, 'loose'), { target: 'draft-2020-12' });
  return {
    $schema: schema.$schema,
    $id: `urn:rims:schema:${type}`,
    title: type,
    description: eventCatalog[type].description,
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
