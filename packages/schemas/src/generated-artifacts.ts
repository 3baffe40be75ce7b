import { rawItemEventsColumns } from './bigquery-columns.js';
import { RIMS_EVENT_TYPES } from './event-types.js';
import { eventJsonSchema } from './json-schema.js';

/**
 * Every checked-in artifact derived from the zod schemas, keyed by its path under
 * `packages/schemas/generated/`. `pnpm generate` writes them; a test fails when they drift.
 */
export function generatedArtifacts(): Map<string, string> {
  const files = new Map<string, string>();
  for (const type of RIMS_EVENT_TYPES) {
    files.set(`json-schema/${type}.json`, `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`);
  }
  files.set(
    'bigquery/rims_raw.item_events.schema.json',
    `${JSON.stringify(rawItemEventsColumns(), null, 2)}\n`,
  );
  return files;
}
