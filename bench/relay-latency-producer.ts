/**
 * The producer of bench/relay-latency, in a process of its own so that it offers its load on time
 * whatever the relay does: commits events at a steady rate (events/s), one per transaction or a
 * few per transaction on consecutive subjects, with `outbox.transaction` (the events travel with
 * COMMIT, the documented fastest way), and reports each event's commit time (wall clock,
 * sub-millisecond) to the parent over IPC.
 *
 * Usage (by bench/relay-latency.ts):
 * relay-latency-producer.ts <database url> <events/s> <seconds> <notify|quiet> [events per commit, default 1]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createOutbox } from '@rims/outbox';
import { committedEvent } from './committed-event.js';

/** What the producer sends its parent. */
export type ProducerMessage =
  | { kind: 'committed'; events: [id: string, committedAt: number][] }
  | { kind: 'done'; offeredPerSecond: number };

const [url, rateText, secondsText, notify, perCommitText] = process.argv.slice(2);
const RATE = Number(rateText);
const PER_COMMIT = Number(perCommitText ?? '1');
const total = RATE * Number(secondsText);
const SUBJECTS = 200;
const TICK_MS = 10;
const send = (message: ProducerMessage) =>
  new Promise<void>((resolve) => {
    process.send?.(message, undefined, undefined, () => {
      resolve();
    });
  });
const now = () => performance.timeOrigin + performance.now();

const db = new Kysely<unknown>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 8 }) }),
});
const outbox = createOutbox({ source: '//rims/bench', notify: notify === 'notify' });
const committed: [string, number][] = [];
const flush = setInterval(() => {
  if (committed.length > 0) void send({ kind: 'committed', events: committed.splice(0) });
}, 50);

// Warm-up, not reported: open the pool's connections and compile the commit path, as a running
// application has. Cold, the producer opened 8 backends and compiled beside the relay in the first
// second of each round, and nearly all of a round's events over 50 ms fell in its first 0.75 s.
for (let round = 0; round < 10; round++) {
  await Promise.all(
    Array.from({ length: 8 }, (_, index) =>
      outbox.transaction(db, (_trx, events) =>
        Promise.resolve(events.add(committedEvent(`warm-up-${String(index)}`))),
      ),
    ),
  );
}

const commits: Promise<void>[] = [];
const started = performance.now();
let sent = 0;
const commitOne = () => {
  const subjects = Array.from({ length: PER_COMMIT }, (_, k) => `item-${String((sent + k) % SUBJECTS)}`);
  commits.push(
    outbox
      .transaction(db, (_trx, events) =>
        Promise.resolve(events.add(subjects.map((subject) => committedEvent(subject)))),
      )
      .then((ids) => {
        const at = now();
        for (const id of ids) committed.push([id, at]);
      }),
  );
  sent += PER_COMMIT;
};
while (sent < total) {
  // A steady schedule: event k starts at k / RATE seconds (with the commit holding it), whatever
  // earlier ones are doing; the events that fell due while this loop slept start together.
  const due = Math.min(total, Math.floor(((performance.now() - started) * RATE) / 1000) + 1);
  while (sent < due) commitOne();
  if (sent >= total) break;
  const nextAt = started + (sent * 1000) / RATE;
  await sleep(Math.max(0, Math.min(TICK_MS, nextAt - performance.now())));
}
await Promise.all(commits);
const offeredPerSecond = sent / ((performance.now() - started) / 1000);
clearInterval(flush);
await send({ kind: 'committed', events: committed.splice(0) });
await send({ kind: 'done', offeredPerSecond });
await db.destroy();
