/**
 * The event contract of @rims/schemas as last released, and what a change to it requires of the
 * next release (packages/schemas/VERSIONING.md): a breaking event change is a major version of
 * @rims/schemas, an additive one at least a minor. `pnpm version-packages` records the contract of
 * each release; the test in test/release compares the catalogue with it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RIMS_EVENT_TYPES, eventJsonSchema } from '@rims/schemas';

/** A JSON Schema object, as `eventJsonSchema` writes it. */
type JsonSchema = Record<string, unknown>;

/** The JSON Schema of every event type, at a version of @rims/schemas. */
export interface EventContract {
  readonly version: string;
  readonly schemas: Readonly<Record<string, JsonSchema>>;
}

/** What changed between two contracts, by how it affects readers and writers of events. */
export interface ContractChanges {
  /** Changes an existing producer or consumer can break on: each needs a major release. */
  readonly breaking: readonly string[];
  /** Changes nobody breaks on (an optional field, a relaxed rule): each needs at least a minor. */
  readonly additive: readonly string[];
}

/** The contract of the catalogue as built now. */
export function currentContract(version: string): EventContract {
  return {
    version,
    schemas: Object.fromEntries(RIMS_EVENT_TYPES.map((type) => [type, eventJsonSchema(type)])),
  };
}

const RELAXED_WHEN_LOWER = new Set(['minLength', 'minimum', 'minItems']);
const RELAXED_WHEN_HIGHER = new Set(['maxLength', 'maximum', 'maxItems']);

/** A keyword's value for a message; JSON.stringify(undefined) is undefined, not text. */
const show = (value: unknown): string => (value === undefined ? '(none)' : JSON.stringify(value));
const asObject = (value: unknown): JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : {};
const requiredOf = (schema: JsonSchema) =>
  new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);

/** Compares one object schema (the envelope, or `data`) property by property. */
function compareObject(path: string, before: JsonSchema, after: JsonSchema, changes: ContractChanges): void {
  const breaking = changes.breaking as string[];
  const additive = changes.additive as string[];
  const beforeProperties = asObject(before.properties);
  const afterProperties = asObject(after.properties);
  const beforeRequired = requiredOf(before);
  const afterRequired = requiredOf(after);
  for (const [name, was] of Object.entries(beforeProperties)) {
    const field = `${path}.${name}`;
    const now = afterProperties[name];
    if (now === undefined) {
      breaking.push(`${field} was removed`);
      continue;
    }
    if (!beforeRequired.has(name) && afterRequired.has(name)) breaking.push(`${field} became required`);
    if (beforeRequired.has(name) && !afterRequired.has(name)) additive.push(`${field} became optional`);
    if (name === 'data') {
      compareObject(field, asObject(was), asObject(now), changes);
      continue;
    }
    const keys = new Set([...Object.keys(asObject(was)), ...Object.keys(asObject(now))]);
    for (const key of keys) {
      if (key === 'description') continue;
      const a = asObject(was)[key];
      const b = asObject(now)[key];
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      const relaxed =
        typeof a === 'number' &&
        (b === undefined ||
          (typeof b === 'number' &&
            ((RELAXED_WHEN_LOWER.has(key) && b < a) || (RELAXED_WHEN_HIGHER.has(key) && b > a))));
      (relaxed ? additive : breaking).push(`${field}: ${key} ${show(a)} -> ${show(b)}`);
    }
  }
  for (const name of Object.keys(afterProperties)) {
    if (name in beforeProperties) continue;
    (afterRequired.has(name) ? breaking : additive).push(
      `${path}.${name} was added${afterRequired.has(name) ? ' as required' : ''}`,
    );
  }
}

/**
 * Classifies the differences between the released contract and the current one. A new event type
 * counts as breaking: it widens `RimsEventType`, and consumers must upgrade before any producer
 * emits it (VERSIONING.md, "A new version").
 */
export function compareContracts(released: EventContract, current: EventContract): ContractChanges {
  const changes: ContractChanges = { breaking: [], additive: [] };
  for (const [type, schema] of Object.entries(released.schemas)) {
    const now = current.schemas[type];
    if (now === undefined) (changes.breaking as string[]).push(`${type} was removed`);
    else compareObject(type, schema, now, changes);
  }
  for (const type of Object.keys(current.schemas)) {
    if (!(type in released.schemas))
      (changes.breaking as string[]).push(`${type} was added (a new event type)`);
  }
  return changes;
}

/** The bump each pending changeset (`.changeset/*.md`) asks for `packageName`. */
export function pendingBumps(changesetDir: string, packageName: string): string[] {
  return readdirSync(changesetDir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .flatMap((file) => {
      const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(changesetDir, file), 'utf8'))?.[1] ?? '';
      return front
        .split('\n')
        .map((line) => /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line))
        .filter((match) => match?.[1] === packageName)
        .map((match) => match?.[2] ?? '');
    });
}
