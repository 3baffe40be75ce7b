import { Buffer } from 'node:buffer';
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  EventDecodeError,
  EventValidationError,
  UnknownEventTypeError,
  buildCloudEvent,
  decodePubSubMessage,
  decodePubSubMessageAsCloudEvent,
  toCloudEvent,
  safeDecodePubSubMessage,
  toPubSubMessage,
} from '../src/index.js';
import { committedEvent } from './fixtures.js';

describe('toPubSubMessage', () => {
  it('encodes a structured CloudEvent ordered by subject, with ce-* attributes copied', () => {
    const event = committedEvent();
    const message = toPubSubMessage(event);
    expect(message.orderingKey).toBe('item-1');
    expect(JSON.parse(message.data.toString('utf8'))).toEqual(event);
    expect(message.attributes).toEqual({
      'content-type': 'application/cloudevents+json',
      'ce-id': event.id,
      'ce-type': 'rims.item.committed.v1',
      'ce-source': '//rims/app',
      'ce-subject': 'item-1',
      'ce-time': event.time,
      'ce-sequence': '3',
    });
  });

  it('round-trips through decodePubSubMessage', () => {
    const event = committedEvent({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(decodePubSubMessage(toPubSubMessage(event))).toEqual(event);
  });
});

describe('buildCloudEvent', () => {
  it('formats time and sequence and omits an absent traceparent', () => {
    const event = buildCloudEvent({
      id: 'e-1',
      source: '//rims/app',
      type: 'rims.item.fulfilled.v1',
      subject: 'item-1',
      time: new Date('2026-11-22T10:00:00.000Z'),
      sequence: 12n,
      data: { item_id: 'item-1', order_id: 'o-1' },
      traceparent: null,
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'e-1',
      source: '//rims/app',
      type: 'rims.item.fulfilled.v1',
      subject: 'item-1',
      time: '2026-11-22T10:00:00.000Z',
      sequence: '12',
      datacontenttype: 'application/json',
      data: { item_id: 'item-1', order_id: 'o-1' },
    });
  });
});

describe('the cloudevents SDK builds the envelope', () => {
  it('buildCloudEvent returns an SDK CloudEvent the SDK validated', () => {
    const event = buildCloudEvent({ ...committedEvent(), sequence: 3 });
    expect(event).toBeInstanceOf(CloudEvent);
    expect(event.validate()).toBe(true);
    expect(event.sequence, 'the sequence extension').toBe('3');
  });

  it('keeps time to the microsecond on the wire (the SDK’s toJSON alone would cut it to milliseconds)', () => {
    const time = '2026-11-22T10:00:00.123456Z';
    const message = toPubSubMessage(committedEvent({ time }));
    expect((JSON.parse(message.data.toString('utf8')) as { time: string }).time).toBe(time);
    expect(message.attributes['ce-time']).toBe(time);
  });

  it('refuses what the CloudEvents spec refuses, naming the attribute', () => {
    const attempt = (event: object) => {
      try {
        toCloudEvent(event as ReturnType<typeof committedEvent>);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const badTime = attempt({ ...committedEvent(), time: 'yesterday' });
    expect(badTime).toBeInstanceOf(EventValidationError);
    expect((badTime as EventValidationError).issues).toEqual([
      {
        path: 'time',
        code: 'cloudevents_spec',
        message: 'time must match format "date-time" (CloudEvents 1.0)',
      },
    ]);
    const badExtension = attempt({ ...committedEvent(), partition_key: 'p' });
    expect((badExtension as EventValidationError).issues[0]?.message).toMatch(
      /^invalid extension name: partition_key/,
    );
  });

  it('hands consumers an SDK CloudEvent when they ask for one', () => {
    const event = decodePubSubMessageAsCloudEvent(toPubSubMessage(committedEvent()));
    expect(event).toBeInstanceOf(CloudEvent);
    expect({ subject: event.subject, sequence: event.sequence, data: event.data }).toEqual({
      subject: 'item-1',
      sequence: '3',
      data: committedEvent().data,
    });
    expect(() =>
      decodePubSubMessageAsCloudEvent(toPubSubMessage(committedEvent({ subject: 'item-2' }))),
    ).toThrow(EventValidationError);
  });
});

describe('decodePubSubMessage', () => {
  it('decodes binary mode: attributes carry the envelope, the body is data', () => {
    const event = committedEvent();
    const { data, datacontenttype, specversion, ...rest } = event;
    const attributes: Record<string, string> = {
      'ce-specversion': specversion,
      'content-type': datacontenttype,
    };
    for (const [key, value] of Object.entries(rest)) attributes[`ce-${key}`] = value;
    expect(decodePubSubMessage({ data: Buffer.from(JSON.stringify(data)), attributes })).toEqual(event);
  });

  it('reads a base64 string body (Pub/Sub REST and push format)', () => {
    const message = toPubSubMessage(committedEvent());
    expect(
      decodePubSubMessage({ data: message.data.toString('base64'), attributes: message.attributes }).id,
    ).toBe(committedEvent().id);
  });

  it('accepts a structured body published without attributes', () => {
    expect(decodePubSubMessage({ data: Buffer.from(JSON.stringify(committedEvent())) }).subject).toBe(
      'item-1',
    );
  });

  it('keeps unknown data fields and extensions, so additive changes do not break consumers', () => {
    const event = { ...committedEvent(), partitionkey: 'p', data: { ...committedEvent().data, aisle: '7' } };
    const decoded = decodePubSubMessage({
      data: Buffer.from(JSON.stringify(event)),
    }) as unknown as typeof event;
    expect(decoded.data.aisle).toBe('7');
    expect(decoded.partitionkey).toBe('p');
  });

  it('throws EventDecodeError for a body that is not JSON', () => {
    const attempt = () =>
      decodePubSubMessage({
        data: Buffer.from('{nope'),
        attributes: { 'content-type': 'application/cloudevents+json' },
      });
    expect(attempt).toThrow(EventDecodeError);
    expect(attempt).toThrow(/message body is not valid JSON/);
  });

  it('throws EventDecodeError for a message that is not a CloudEvent', () => {
    expect(() => decodePubSubMessage({ data: Buffer.from('{"hello":"world"}') })).toThrow(EventDecodeError);
    expect(() =>
      decodePubSubMessage({
        data: Buffer.from('{}'),
        attributes: { 'content-type': 'application/cloudevents-batch+json' },
      }),
    ).toThrow(/not supported/);
  });

  it('throws UnknownEventTypeError for a type it does not know, such as a newer v2', () => {
    const message = toPubSubMessage(committedEvent());
    const v2 = Buffer.from(JSON.stringify({ ...committedEvent(), type: 'rims.item.committed.v2' }));
    const error = (() => {
      try {
        decodePubSubMessage({ ...message, data: v2 });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownEventTypeError);
    expect(error).toMatchObject({ code: 'RIMS_EVENT_UNKNOWN_TYPE', type: 'rims.item.committed.v2' });
  });

  it('names every invalid field', () => {
    const bad = {
      ...committedEvent(),
      sequence: '0',
      time: 'yesterday',
      data: { ...committedEvent().data, quantity: -1 },
    };
    const result = safeDecodePubSubMessage({ data: Buffer.from(JSON.stringify(bad)) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EventValidationError);
    expect(result.error.issues.map((issue) => issue.path).sort()).toEqual([
      'data.quantity',
      'sequence',
      'time',
    ]);
  });

  it('rejects a subject that is not the item', () => {
    const result = safeDecodePubSubMessage(toPubSubMessage(committedEvent({ subject: 'item-2' })));
    expect(result.ok ? [] : result.error.issues.map((issue) => issue.code)).toEqual(['subject_mismatch']);
  });
});
