import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { validateEventInput, type EventInput, type ValidationIssue } from '@rims/schemas';
import { OutboxValidationError } from './errors.js';
import type { EnqueueRow } from './queries/enqueue.js';

/**
 * Validates events and turns them into rows ready to write, each with its id chosen, shared by
 * `enqueue` and `transaction`: both refuse a batch with any invalid event before writing anything.
 * Issue paths are prefixed with the index (`[1].data.quantity`) when `events` is an array.
 *
 * @throws {OutboxValidationError} naming every invalid field of every event
 */
export function prepareEvents(
  events: EventInput | readonly EventInput[],
  maxDataBytes: number,
  traceparent: string | null,
): EnqueueRow[] {
  const list: readonly unknown[] = Array.isArray(events) ? events : [events];
  const issues: ValidationIssue[] = [];
  const rows: EnqueueRow[] = [];
  list.forEach((value, index) => {
    const prefix = Array.isArray(events) ? `[${String(index)}]` : '';
    const found = validateEventInput(value, prefix);
    if (found.length > 0) {
      issues.push(...found);
      return;
    }
    const input = value as EventInput;
    const data = JSON.stringify(input.data);
    const bytes = Buffer.byteLength(data);
    if (bytes > maxDataBytes) {
      issues.push({
        path: prefix === '' ? 'data' : `${prefix}.data`,
        code: 'too_big',
        message: `data is ${String(bytes)} bytes of JSON, over maxDataBytes (${String(maxDataBytes)}); keep large payloads out of events and refer to them by id`,
      });
      return;
    }
    rows.push({
      id: randomUUID(),
      subject: input.subject,
      type: input.type,
      data,
      // A string is kept as given (validated RFC 3339 above): going through Date would cut its
      // microseconds to milliseconds. PostgreSQL parses it, offset and all, to the microsecond.
      time:
        input.time === undefined ? null : input.time instanceof Date ? input.time.toISOString() : input.time,
      traceparent,
    });
  });
  if (issues.length > 0) throw new OutboxValidationError(issues);
  return rows;
}
