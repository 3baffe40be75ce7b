/**
 * encodeEvent against the path it replaces, `toPubSubMessage(buildCloudEvent(fields))` plus
 * `parseCloudEvent`: on random stored fields, many of them invalid in one way or another, both
 * must accept the same events and give the same bytes, attributes and ordering key.
 *
 * Replay a failure with the seed (and path) fast-check prints:
 *   FC_SEED=<seed> npx vitest run packages/schemas/test/encode-event.test.ts
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EventValidationError,
  buildCloudEvent,
  encodeEvent,
  parseCloudEvent,
  toPubSubMessage,
  type CloudEventFields,
  type OutgoingPubSubMessage,
} from '../src/index.js';

const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

/** The old path: the SDK checks the spec, then the catalogue; the SDK's JSON is the body. */
function viaSdk(fields: CloudEventFields): OutgoingPubSubMessage {
  const event = buildCloudEvent(fields);
  parseCloudEvent(event);
  return toPubSubMessage(event);
}

/**
 * The SDK replaces an empty id with a random UUID and an empty time with the current time, so the
 * old path published such a row under an id and time it does not have; encodeEvent refuses it.
 */
const substitutedBySdk = (fields: CloudEventFields) => fields.id === '' || fields.time === '';

type Outcome = { ok: true; message: OutgoingPubSubMessage } | { ok: false; error: unknown };

function outcome(encode: () => OutgoingPubSubMessage): Outcome {
  try {
    return { ok: true, message: encode() };
  } catch (error) {
    return { ok: false, error };
  }
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const isoTime = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
const microTime = fc
  .tuple(isoTime, fc.nat(999_999))
  .map(([t, us]) => `${t.slice(0, 19)}.${String(us).padStart(6, '0')}Z`);

/** Valid values of each field, in the forms stored rows and producers give them. */
const valid = {
  id: fc.uuid(),
  source: fc.constantFrom('//rims/app', '//rims/bench', 'https://rims.example/app', 'urn:rims:app'),
  type: fc.constantFrom('rims.item.committed.v1' as const, 'rims.item.released.v1' as const),
  itemId: fc.oneof(
    fc.constantFrom('item-1', 'i'),
    fc.string({ minLength: 1, maxLength: 256 }).filter((s) => !s.includes('\u0000')),
  ),
  time: fc.oneof(isoTime, microTime, fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(2e12) })),
  sequence: fc.oneof(fc.bigInt({ min: 1n, max: 999_999_999_999_999_999n }), fc.integer({ min: 1 })),
  traceparent: fc.constantFrom(null, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
  quantity: fc.integer({ min: 1, max: 1_000 }),
  other: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\u0000')),
};

/** Near misses and arbitrary values: what each check must catch, field by field. */
const defects = {
  id: fc.oneof(fc.constant(''), text),
  source: fc.oneof(fc.constantFrom('rims app', '', 'http://x y', '::', '%zz'), text),
  type: fc.constantFrom('rims.item.vanished.v1', '', 'rims.item.committed.v2'),
  subject: fc.oneof(text, fc.string({ minLength: 257, maxLength: 260 })),
  time: fc.oneof(
    fc
      .tuple(isoTime, fc.constantFrom('+05:30', '-08:00', '+0530', '+05', 'z', '', '.5Z', '.123456789123Z'))
      .map(([t, tail]) => `${t.slice(0, 19)}${tail}`),
    isoTime.map((t) => t.replace('T', 't').replace('Z', 'z')),
    fc.constantFrom('2026-02-30T05:00:00Z', '2026-12-02T24:00:00Z', '2026-12-02T23:59:60Z'),
    text,
  ),
  sequence: fc.oneof(fc.constantFrom(0, -1, '01', '1e3', 1_000_000_000_000_000_000n), text),
  traceparent: text,
  quantity: fc.oneof(fc.integer({ min: -1, max: 0 }), fc.double()),
  other: fc.oneof(fc.constant(''), text),
};
type Defect = keyof typeof defects;

/** A valid event with none, one or two fields replaced by a defect. */
const fieldsArbitrary: fc.Arbitrary<CloudEventFields> = fc
  .tuple(
    fc.record(valid),
    fc.oneof(
      { weight: 2, arbitrary: fc.constant<Defect[]>([]) },
      { weight: 2, arbitrary: fc.subarray(Object.keys(defects) as Defect[], { minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.subarray(Object.keys(defects) as Defect[], { minLength: 2, maxLength: 2 }) },
    ),
    fc.record(defects),
  )
  .map(([good, broken, bad]) => {
    const pick = (key: Defect, value: unknown) => (broken.includes(key) ? bad[key] : value);
    const itemId = good.itemId;
    const type = pick('type', good.type) as string;
    const other = pick('other', good.other);
    return {
      id: pick('id', good.id),
      source: pick('source', good.source),
      type,
      subject: pick('subject', itemId),
      time: pick('time', good.time),
      sequence: pick('sequence', good.sequence),
      traceparent: pick('traceparent', good.traceparent),
      data:
        type === 'rims.item.released.v1'
          ? { item_id: itemId, order_id: other, reason: other }
          : {
              item_id: itemId,
              order_id: other,
              sku: other,
              quantity: pick('quantity', good.quantity),
              location_id: 'store-4',
            },
    } as unknown as CloudEventFields;
  });

describe('encodeEvent', () => {
  it('accepts what the SDK path accepts, and encodes it to the same bytes, attributes and key', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fieldsArbitrary, (fields) => {
        const actual = outcome(() => encodeEvent(fields));
        if (substitutedBySdk(fields)) {
          expect(actual.ok).toBe(false);
          rejected += 1;
          return;
        }
        const expected = outcome(() => viaSdk(fields));
        expect(actual.ok).toBe(expected.ok);
        if (expected.ok && actual.ok) {
          accepted += 1;
          expect(actual.message.data.toString('utf8')).toBe(expected.message.data.toString('utf8'));
          expect(actual.message.attributes).toStrictEqual(expected.message.attributes);
          expect(actual.message.orderingKey).toBe(expected.message.orderingKey);
        } else if (!actual.ok) {
          rejected += 1;
          expect(actual.error).toBeInstanceOf(EventValidationError);
        }
      }),
      { numRuns: 5_000, seed },
    );
    // Both kinds in good number, so that neither half of the claim is tested on a handful of events.
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  });

  /** A valid stored event, for the examples below. */
  const released = {
    id: randomUUID(),
    source: '//rims/app',
    type: 'rims.item.released.v1',
    subject: 'item-1',
    time: '2026-12-02T05:00:00.000001Z',
    sequence: 1,
    data: { item_id: 'item-1', order_id: 'o-1', reason: 'timeout' },
  } as const;

  it('asks the SDK about each new source, so a source that is no URI reference is refused every time', () => {
    const good = `//rims/${randomUUID()}`;
    expect(encodeEvent({ ...released, source: good }).attributes['ce-source']).toBe(good);
    for (let i = 0; i < 2; i++) {
      expect(() => encodeEvent({ ...released, source: 'not a uri' })).toThrow(EventValidationError);
    }
  });

  it('refuses an empty id or time, which the SDK would have replaced with a new one', () => {
    expect(JSON.parse(viaSdk({ ...released, id: '' }).data.toString('utf8'))).not.toHaveProperty('id', '');
    expect(() => encodeEvent({ ...released, id: '' })).toThrow(/id: id must not be empty/);
    expect(() => encodeEvent({ ...released, time: '' })).toThrow(/time: Invalid ISO datetime/);
  });

  it('names the field the catalogue refuses', () => {
    const data = { ...released.data, item_id: 'item-2' };
    expect(() => encodeEvent({ ...released, data })).toThrow(
      /subject 'item-1' must equal data.item_id 'item-2'/,
    );
  });
});
