import { z } from 'zod';
import { envelopeSchemaFor } from './envelope.js';
import { eventCatalog, requiredWhenOf, type RimsEventType } from './event-types.js';

/**
 * The JSON Schema (draft 2020-12) of one event type's whole CloudEvent, derived from the zod schemas.
 * Unknown fields are allowed, as consumers must tolerate additive changes (see VERSIONING.md).
 * Fields required for some `data.status` values only (the snapshot's) become `if`/`then` rules,
 * which zod's own conversion leaves out because they are refinements.
 *
 * @example
 * const schema = eventJsonSchema('rims.item.committed.v1'); // hand to ajv, a schema registry, docs
 */
export function eventJsonSchema(type: RimsEventType): Record<string, unknown> {
  const schema = z.toJSONSchema(envelopeSchemaFor(type, 'loose'), { target: 'draft-2020-12' });
  const rules = Object.entries(requiredWhenOf(type));
  const data = (schema.properties as Record<string, Record<string, unknown>> | undefined)?.data;
  if (rules.length > 0 && data) {
    data.allOf = rules.map(([field, statuses]) => ({
      if: { properties: { status: { enum: statuses } }, required: ['status'] },
      then: { required: [field] },
    }));
  }
  return {
    $schema: schema.$schema,
    $id: `urn:rims:schema:${type}`,
    title: type,
    description: eventCatalog[type].description,
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
