import { describe, expect, it } from 'vitest';
import {
  ITEM_EVENT_TYPES,
  RIMS_EVENT_TYPES,
  STATUS_FROM_DATA,
  eventCatalog,
  statusOf,
  validateEventInput,
} from '../src/index.js';

const committed = {
  type: 'rims.item.committed.v1',
  subject: 'item-1',
  data: { item_id: 'item-1', order_id: 'o-1', sku: 'SKU', quantity: 1, location_id: 'loc' },
};

describe('validateEventInput', () => {
  it('accepts a valid event of every type', () => {
    const data = {
      'rims.item.committed.v1': committed.data,
      'rims.item.released.v1': { item_id: 'item-1', order_id: 'o-1', reason: 'timeout' },
      'rims.item.fulfilled.v1': { item_id: 'item-1', order_id: 'o-1' },
      'rims.item.cancelled.v1': { item_id: 'item-1', order_id: 'o-1', reason: 'customer' },
      'rims.item.snapshot.v1': { item_id: 'item-1', status: 'available', sku: 'SKU', quantity: 1 },
      'rims.pipeline.heartbeat.v1': { replica: 'relay-1', sent_at: '2026-01-01T00:00:00.000Z' },
    };
    for (const type of RIMS_EVENT_TYPES) {
      const subject = type === 'rims.pipeline.heartbeat.v1' ? 'heartbeat/relay-1' : 'item-1';
      expect(validateEventInput({ type, subject, data: data[type] })).toEqual([]);
    }
    expect(
      validateEventInput({ ...committed, time: '2026-01-01T00:00:00+02:00' }),
      'an RFC 3339 time with offset',
    ).toEqual([]);
  });

  it('names the field and the rule for each problem', () => {
    const issues = validateEventInput({ ...committed, data: { ...committed.data, quantity: 0, sku: '' } });
    expect(issues.map((issue) => issue.path).sort()).toEqual(['data.quantity', 'data.sku']);
    expect(issues.find((issue) => issue.path === 'data.quantity')?.message).toBe(
      'quantity must be at least 1',
    );
  });

  it('rejects a fractional quantity and a missing field', () => {
    const { location_id: _, ...withoutLocation } = committed.data;
    const issues = validateEventInput({ ...committed, data: { ...withoutLocation, quantity: 1.5 } });
    expect(issues.map((issue) => issue.path).sort()).toEqual(['data.location_id', 'data.quantity']);
  });

  it('refuses a lone UTF-16 surrogate in every string field, naming it (JSON and PostgreSQL cannot hold one)', () => {
    const half = '\uD83D';
    const issues = validateEventInput({
      ...committed,
      subject: `item-${half}`,
      data: { ...committed.data, item_id: `item-${half}`, order_id: `\uDC00o-1`, location_id: `loc${half}` },
    });
    expect(issues.map((issue) => [issue.path, issue.code]).sort()).toEqual([
      ['data.item_id', 'lone_surrogate'],
      ['data.location_id', 'lone_surrogate'],
      ['data.order_id', 'lone_surrogate'],
      ['subject', 'lone_surrogate'],
    ]);
    expect(issues.find((issue) => issue.path === 'data.order_id')?.message).toBe(
      'order_id contains a lone UTF-16 surrogate (half of a character, such as a string cut through an emoji); PostgreSQL and JSON text cannot hold it',
    );
    expect(
      validateEventInput({ ...committed, data: { ...committed.data, sku: 'SKU-\u{1F4E6}' } }),
      'a whole surrogate pair',
    ).toEqual([]);
  });

  it('requires subject to equal data.item_id', () => {
    const issues = validateEventInput({ ...committed, subject: 'item-2' });
    expect(issues).toEqual([expect.objectContaining({ path: 'subject', code: 'subject_mismatch' })]);
    expect(issues[0]?.message).toContain("must equal data.item_id 'item-1'");
  });

  it('rejects unknown fields, so a typo fails instead of being dropped', () => {
    expect(validateEventInput({ ...committed, data: { ...committed.data, quantty: 2 } })).toEqual([
      expect.objectContaining({ path: 'data', code: 'unrecognized_keys' }),
    ]);
    expect(validateEventInput({ ...committed, sequence: 4 })).toEqual([
      expect.objectContaining({ path: '', code: 'unrecognized_keys' }),
    ]);
  });

  it('lists the known types when the type is unknown', () => {
    const [issue] = validateEventInput({ ...committed, type: 'rims.item.comitted.v1' }, '[2]');
    expect(issue?.path).toBe('[2].type');
    expect(issue?.message).toContain('rims.item.committed.v1, rims.item.released.v1');
  });

  it('prefixes paths with the position in a batch', () => {
    expect(validateEventInput({ ...committed, subject: '' }, '[7]').map((issue) => issue.path)).toContain(
      '[7].subject',
    );
    expect(validateEventInput('not an event', '[0]')).toEqual([expect.objectContaining({ path: '[0]' })]);
  });

  it('limits ids to what fits in a Pub/Sub ordering key', () => {
    const long = 'x'.repeat(257);
    const issues = validateEventInput({
      ...committed,
      subject: long,
      data: { ...committed.data, item_id: long },
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual(['data.item_id', 'subject']);
  });

  it('refuses what PostgreSQL cannot store: U+0000 in a string, a Date outside years 1 to 9999', () => {
    const nul = 'item-\u0000';
    expect(
      validateEventInput({ ...committed, subject: nul, data: { ...committed.data, item_id: nul } }).map(
        (issue) => issue.path,
      ),
    ).toEqual(['subject', 'data.item_id']);
    expect(validateEventInput({ ...committed, data: { ...committed.data, sku: 'a\u0000' } })).toEqual([
      expect.objectContaining({ path: 'data.sku', message: expect.stringContaining('U+0000') as string }),
    ]);
    expect(validateEventInput({ ...committed, time: new Date('+010000-01-01T00:00:00Z') })).toEqual([
      expect.objectContaining({ path: 'time', message: 'time must not be after the year 9999' }),
    ]);
    expect(validateEventInput({ ...committed, time: new Date('9999-12-31T00:00:00Z') })).toEqual([]);
  });
});

describe('pipeline heartbeat', () => {
  const heartbeat = {
    type: 'rims.pipeline.heartbeat.v1',
    subject: 'heartbeat/relay-1',
    data: { replica: 'relay-1', sent_at: '2026-01-01T00:00:00.000Z' },
  };

  it('needs the subject heartbeat/<replica>, not an item id', () => {
    const issues = validateEventInput({ ...heartbeat, subject: 'relay-1' });
    expect(issues.map((issue) => [issue.path, issue.message])).toEqual([
      ['subject', "subject 'relay-1' must be 'heartbeat/relay-1' (heartbeat/ followed by data.replica)"],
    ]);
  });

  it('needs sent_at as an RFC 3339 time', () => {
    const issues = validateEventInput({ ...heartbeat, data: { replica: 'relay-1', sent_at: 'now' } });
    expect(issues.map((issue) => issue.path)).toEqual(['data.sent_at']);
  });

  it('is not an item type: it has no status', () => {
    expect(ITEM_EVENT_TYPES).not.toContain('rims.pipeline.heartbeat.v1');
    expect(RIMS_EVENT_TYPES).toContain('rims.pipeline.heartbeat.v1');
  });
});

describe('statusOf', () => {
  it('maps each type to the status in DESIGN.md, the snapshot to its data.status', () => {
    expect(
      ITEM_EVENT_TYPES.map((type) =>
        type === 'rims.item.snapshot.v1'
          ? [type, statusOf(type, { ...snapshotData, status: 'fulfilled' })]
          : [type, statusOf(type)],
      ),
    ).toEqual([
      ['rims.item.committed.v1', 'committed'],
      ['rims.item.released.v1', 'available'],
      ['rims.item.fulfilled.v1', 'fulfilled'],
      ['rims.item.cancelled.v1', 'cancelled'],
      ['rims.item.snapshot.v1', 'fulfilled'],
    ]);
    expect(eventCatalog['rims.item.snapshot.v1'].status).toBe(STATUS_FROM_DATA);
  });

  it('names data.status when a snapshot has none it can use', () => {
    expect(() =>
      statusOf('rims.item.snapshot.v1', { ...snapshotData, status: 'gone' as 'committed' }),
    ).toThrow(
      'rims.item.snapshot.v1 takes its status from data.status, which must be one of committed, available, fulfilled, cancelled (got "gone")',
    );
  });
});

const snapshotData = {
  item_id: 'item-1',
  status: 'committed',
  order_id: 'o-1',
  sku: 'SKU',
  quantity: 2,
  location_id: 'loc',
} as const;
const snapshot = (data: Record<string, unknown>) => ({
  type: 'rims.item.snapshot.v1',
  subject: 'item-1',
  data: { ...snapshotData, ...data },
});
const without = (data: Record<string, unknown>, ...fields: string[]) =>
  Object.fromEntries(Object.entries(data).filter(([field]) => !fields.includes(field)));

describe('rims.item.snapshot.v1', () => {
  it('accepts each status with the fields it needs: order_id optional only when available; sku, quantity and location_id required only when committed', () => {
    expect(validateEventInput(snapshot({}))).toEqual([]);
    expect(
      validateEventInput({
        ...snapshot({}),
        data: without(snapshot({ status: 'available' }).data, 'order_id', 'sku', 'quantity', 'location_id'),
      }),
    ).toEqual([]);
    for (const status of ['fulfilled', 'cancelled']) {
      expect(
        validateEventInput({
          ...snapshot({}),
          data: without(snapshot({ status }).data, 'sku', 'quantity', 'location_id'),
        }),
        status,
      ).toEqual([]);
    }
    expect(
      validateEventInput(snapshot({ status: 'available' })),
      'available, still naming the last order',
    ).toEqual([]);
  });

  it('names the field a status requires', () => {
    expect(
      validateEventInput({
        ...snapshot({}),
        data: without(snapshotData, 'order_id', 'sku', 'quantity', 'location_id'),
      }),
    ).toEqual([
      {
        path: 'data.order_id',
        code: 'required_for_status',
        message: 'order_id is required when status is committed or fulfilled or cancelled',
      },
      ...['sku', 'quantity', 'location_id'].map((field) => ({
        path: `data.${field}`,
        code: 'required_for_status',
        message: `${field} is required when status is committed`,
      })),
    ]);
    expect(
      validateEventInput({
        ...snapshot({ status: 'cancelled' }),
        data: without(snapshot({ status: 'cancelled' }).data, 'order_id'),
      }),
    ).toEqual([expect.objectContaining({ path: 'data.order_id', code: 'required_for_status' })]);
  });

  it('reports a status-dependent field together with the other problems', () => {
    const issues = validateEventInput(
      { ...snapshot({ quantity: 0 }), data: without(snapshot({ quantity: 0 }).data, 'location_id', 'sku') },
      '[4]',
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      '[4].data.location_id',
      '[4].data.quantity',
      '[4].data.sku',
    ]);
  });

  it('refuses an unknown status, naming the allowed ones', () => {
    expect(validateEventInput(snapshot({ status: 'reserved' }))).toEqual([
      expect.objectContaining({
        path: 'data.status',
        message: 'status must be one of committed, available, fulfilled, cancelled',
      }),
    ]);
    expect(
      validateEventInput({ ...snapshot({}), data: without(snapshotData, 'status') }).map(
        (issue) => issue.path,
      ),
    ).toEqual(['data.status']);
  });

  it('checks a sku or quantity given whatever the status (a whole quantity of at least 1), and subject = item_id', () => {
    const issues = validateEventInput({
      ...snapshot({ status: 'available', quantity: 1.5, sku: '' }),
      subject: 'item-2',
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual(['data.quantity', 'data.sku']);
    expect(validateEventInput({ ...snapshot({}), subject: 'item-2' })).toEqual([
      expect.objectContaining({ path: 'subject', code: 'subject_mismatch' }),
    ]);
  });
});
