/**
 * bench/event-encoding: CPU per event to turn a stored event into its checked Pub/Sub message, the
 * relay's per-event work before the client takes over. `encodeEvent` (what the relay calls) against
 * the path it replaced, measured in the same run: `buildCloudEvent` (the SDK's spec check),
 * `parseCloudEvent` (the catalogue) and `toPubSubMessage` (the SDK's JSON). Both are given the same
 * rows as fetch-pending.sql returns them; the order of the two alternates from round to round.
 *
 * Usage: pnpm bench:event-encoding [--events 50000] [--rounds 7]
 * Writes bench/results/event-encoding.json.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  buildCloudEvent,
  encodeEvent,
  parseCloudEvent,
  toPubSubMessage,
  type CloudEventFields,
  type OutgoingPubSubMessage,
} from '@rims/schemas';
import { committedEvent } from './committed-event.js';
import { ratio, spread, writeResults } from './results.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '7' } },
});
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);

/** Stored rows as the relay fetches them: time to the microsecond, sequence as text, no trace. */
const rows: CloudEventFields[] = Array.from({ length: EVENTS }, (_, i) => {
  const { type, subject, data } = committedEvent(`item-${String(i % 200)}`);
  return {
    id: randomUUID(),
    source: '//rims/bench',
    type,
    subject,
    time: `2026-12-02T05:00:00.${String(i % 1_000_000).padStart(6, '0')}Z`,
    sequence: String(Math.floor(i / 200) + 1),
    data,
    traceparent: null,
  };
});

function viaSdk(fields: CloudEventFields): OutgoingPubSubMessage {
  const event = buildCloudEvent(fields);
  parseCloudEvent(event);
  return toPubSubMessage(event);
}

/** CPU microseconds per event of `encode` over every row. */
function microsPerEvent(encode: (fields: CloudEventFields) => OutgoingPubSubMessage): number {
  let bytes = 0;
  const before = process.cpuUsage();
  for (const row of rows) bytes += encode(row).data.byteLength;
  const used = process.cpuUsage(before);
  // Used, so that no engine can drop the work.
  if (bytes === 0) throw new Error('no bytes encoded');
  return (used.user + used.system) / EVENTS;
}

const first = rows[0];
if (first === undefined || !viaSdk(first).data.equals(encodeEvent(first).data))
  throw new Error('encodeEvent and the SDK path disagree: this benchmark compares different work');

// One untimed pass of each (JIT).
microsPerEvent(viaSdk);
microsPerEvent(encodeEvent);
const sdk: number[] = [];
const encode: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    sdk.push(microsPerEvent(viaSdk));
    encode.push(microsPerEvent(encodeEvent));
  } else {
    encode.push(microsPerEvent(encodeEvent));
    sdk.push(microsPerEvent(viaSdk));
  }
  console.log(
    `round ${String(round + 1)}: SDK path ${(sdk.at(-1) ?? 0).toFixed(2)} µs/event, encodeEvent ${(encode.at(-1) ?? 0).toFixed(2)} µs/event`,
  );
}
const vsSdk = spread(encode.map((value, i) => value / (sdk[i] ?? Number.NaN)));
writeResults('event-encoding', {
  events: EVENTS,
  rounds: ROUNDS,
  // Each figure is { median, min, max } over the rounds.
  sdk_path_cpu_us_per_event: spread(sdk),
  encode_event_cpu_us_per_event: spread(encode),
  encode_event_vs_sdk_path: vsSdk,
  ratios: { encode_event_vs_sdk_path: ratio(vsSdk.median, 1) },
});
