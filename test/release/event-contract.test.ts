import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compareContracts,
  currentContract,
  pendingBumps,
  type EventContract,
} from '../../scripts/event-contract.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const released = JSON.parse(
  readFileSync(join(root, 'packages/schemas/event-contract.json'), 'utf8'),
) as EventContract;

describe('the event contract and the version of @rims/schemas (VERSIONING.md)', () => {
  it('changes only with the release it needs: major when breaking, at least minor when additive', () => {
    const changes = compareContracts(released, currentContract('next'));
    const bumps = pendingBumps(join(root, '.changeset'), '@rims/schemas');
    if (changes.breaking.length > 0) {
      expect(
        bumps,
        `breaking event changes since @rims/schemas ${released.version}: ${changes.breaking.join('; ')}. ` +
          'Add a changeset with "@rims/schemas": major (pnpm changeset), or keep the old type and add a v2 beside it',
      ).toContain('major');
    }
    if (changes.additive.length > 0) {
      expect(
        bumps.filter((bump) => bump !== 'patch'),
        `additive event changes since @rims/schemas ${released.version}: ${changes.additive.join('; ')}. ` +
          'Add a changeset with "@rims/schemas": minor (pnpm changeset)',
      ).not.toEqual([]);
    }
  });

  it('tells breaking from additive changes', () => {
    const schemas = released.schemas as Record<string, Record<string, unknown>>;
    const committed = JSON.parse(JSON.stringify(schemas['rims.item.committed.v1'])) as {
      properties: { data: { properties: Record<string, Record<string, unknown>>; required: string[] } };
    };
    const data = committed.properties.data;
    const edit = (change: (schema: typeof committed) => void): EventContract => {
      const copy = JSON.parse(JSON.stringify(committed)) as typeof committed;
      change(copy);
      return { version: 'next', schemas: { ...schemas, 'rims.item.committed.v1': copy } };
    };
    expect(data.required).toContain('sku');

    const removed = edit((schema) => {
      delete schema.properties.data.properties.sku;
      schema.properties.data.required = schema.properties.data.required.filter((name) => name !== 'sku');
    });
    expect(compareContracts(released, removed).breaking).toEqual([
      'rims.item.committed.v1.data.sku was removed',
    ]);

    const optionalField = edit((schema) => {
      schema.properties.data.properties.note = { type: 'string' };
    });
    expect(compareContracts(released, optionalField)).toEqual({
      breaking: [],
      additive: ['rims.item.committed.v1.data.note was added'],
    });

    const longer = edit((schema) => {
      const sku = schema.properties.data.properties.sku ?? {};
      sku.maxLength = 1024;
      sku.description = 'reworded';
    });
    expect(compareContracts(released, longer)).toEqual({
      breaking: [],
      additive: ['rims.item.committed.v1.data.sku: maxLength 256 -> 1024'],
    });

    const retyped = edit((schema) => {
      schema.properties.data.properties.quantity = { type: 'string' };
    });
    expect(compareContracts(released, retyped).breaking).toContain(
      'rims.item.committed.v1.data.quantity: type "integer" -> "string"',
    );

    const newType: EventContract = {
      version: 'next',
      schemas: { ...schemas, 'rims.item.committed.v2': committed },
    };
    expect(compareContracts(released, newType).breaking).toEqual([
      'rims.item.committed.v2 was added (a new event type)',
    ]);
  });
});
