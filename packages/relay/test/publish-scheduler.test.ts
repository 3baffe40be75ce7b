/**
 * The publish scheduler's rules, one schedule each (the simulation in publish-scheduler.sim.test.ts
 * covers them in random interleavings). Pure: no database, no Pub/Sub.
 */
import { describe, expect, it } from 'vitest';
import { GRPC_STATUS } from '../src/failure-kind.js';
import {
  PublishScheduler,
  type BatchOutcome,
  type FetchPlan,
  type RecordFailureCommand,
  type SchedulerRow,
} from '../src/publishing/publish-scheduler.js';

const unavailable = {
  error: Object.assign(new Error('unavailable'), { code: GRPC_STATUS.unavailable }),
  kind: 'systemic' as const,
};
const invalid = {
  error: Object.assign(new Error('invalid'), { code: GRPC_STATUS.invalidArgument }),
  kind: 'permanent' as const,
};

function rows(subject: string, from: number, to: number, partition = 0): SchedulerRow[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    position: String(from + i),
    subject,
    lease_partition: partition,
  }));
}

function scheduler() {
  return new PublishScheduler<SchedulerRow>({
    batchSize: 100,
    maxInFlight: 1_000,
    backoff: { initialMs: 10, maxMs: 100 },
    random: () => 0.5,
  });
}

/** The failure a settled batch asks to record; throws when there is none. */
function failureOf(outcome: BatchOutcome<SchedulerRow> | undefined): RecordFailureCommand<SchedulerRow> {
  const failure = outcome?.kind === 'done' ? outcome.failure : undefined;
  if (!failure) throw new Error(`no failure to record in ${JSON.stringify(outcome)}`);
  return failure;
}

function plan(s: PublishScheduler<SchedulerRow>, now = 0, partitions = [0]): FetchPlan {
  const next = s.nextFetch(now, partitions);
  if (typeof next !== 'object') throw new Error(`no fetch: ${next}`);
  return next;
}

describe('the publish scheduler', () => {
  it('drops a fetch issued before a failure of its subject that was handled while it ran', () => {
    const s = scheduler();
    const first = plan(s);
    const [batch] = s.fetched(first.id, rows('item', 2, 45), 0, [0]);
    if (!batch) throw new Error('no batch');
    // A second fetch runs while 2..45 are in flight: it leaves them out and finds 46..50.
    const second = plan(s);
    expect(second.skipPositions).toHaveLength(44);
    // 2..45 fail, and the failure is recorded, all before the second fetch returns.
    let outcome;
    for (let i = 0; i < batch.rows.length; i++) outcome = s.messageSettled(batch.batchId, i, unavailable, 1);
    const failure = failureOf(outcome);
    expect(failure.row.position).toBe('2');
    s.failureRecorded(failure, { attempts: 0, dead: false }, 2);
    // 46..50 must not go out ahead of 2..45.
    expect(s.fetched(second.id, rows('item', 46, 50), 1_000, [0])).toEqual([]);
  });

  it('blocks a subject at its first rejected message, before the batch has settled', () => {
    const s = scheduler();
    const first = plan(s);
    const [batch, ...others] = s.fetched(
      first.id,
      [...rows('item', 1, 3), ...rows('b', 4, 4), ...rows('c', 5, 5)],
      0,
      [0],
    );
    if (!batch) throw new Error('no batch');
    s.messageSettled(batch.batchId, 0, unavailable, 1);
    // (The other subjects' batches are accepted, which leaves room for a request after the wave.)
    for (const other of others) s.messageSettled(other.batchId, 0, undefined, 1);
    const next = plan(s, 1_000);
    expect(next.skipSubjects).toEqual(['item']);
  });

  it('sends nothing from a fetch that overlapped a systemic failure, and pauses every subject', () => {
    const s = scheduler();
    const first = plan(s);
    const [batch] = s.fetched(first.id, rows('a', 1, 1), 0, [0]);
    if (!batch) throw new Error('no batch');
    const overlapping = plan(s);
    s.messageSettled(batch.batchId, 0, unavailable, 5);
    expect(s.pausedUntil).toBeGreaterThan(5);
    expect(s.fetched(overlapping.id, rows('b', 2, 3), s.pausedUntil + 1, [0])).toEqual([]);
    expect(s.nextFetch(6, [0])).toBe('paused');
  });

  it('drops rows of a partition whose lease changed while the fetch ran', () => {
    const s = scheduler();
    const fetch = plan(s, 0, [0, 1]);
    s.leasesChanged([1]);
    const commands = s.fetched(fetch.id, [...rows('a', 1, 2, 0), ...rows('b', 3, 4, 1)], 0, [0, 1]);
    expect(commands.map((c) => c.subject)).toEqual(['a']);
  });

  it('spends no attempt on a rejected batch until its culprit is isolated, then parks only the culprit', () => {
    const s = scheduler();
    const first = plan(s);
    // Several events in one request: which one Pub/Sub rejected is unknown.
    const [a] = s.fetched(first.id, rows('item', 1, 2), 0, [0]);
    if (!a) throw new Error('no batch');
    s.messageSettled(a.batchId, 0, invalid, 1);
    const failure = failureOf(s.messageSettled(a.batchId, 1, invalid, 1));
    expect(failure).toMatchObject({ culpritKnown: false, permanent: false });
    expect(s.failureRecorded(failure, { attempts: 0, dead: false }, 1)).toEqual({ action: 'isolate' });
    // Isolated: one event at a time, and now a failure is the event's own.
    const retry = plan(s, 100);
    const [single] = s.fetched(retry.id, rows('item', 1, 2), 100, [0]);
    expect(single?.rows).toHaveLength(1);
    if (!single) throw new Error('no batch');
    const own = failureOf(s.messageSettled(single.batchId, 0, invalid, 101));
    expect(own).toMatchObject({ culpritKnown: true, permanent: true });
    expect(s.failureRecorded(own, { attempts: 1, dead: true }, 101)).toEqual({ action: 'park', attempts: 1 });
  });

  it('keeps a partition busy until its failures are recorded, so its lease is not handed over first', () => {
    const s = scheduler();
    const first = plan(s);
    const [batch] = s.fetched(first.id, rows('item', 1, 1), 0, [0]);
    if (!batch) throw new Error('no batch');
    const failure = failureOf(s.messageSettled(batch.batchId, 0, unavailable, 1));
    expect(s.isDrained(0)).toBe(false);
    s.failureRecorded(failure, { attempts: 0, dead: false }, 2);
    expect(s.isDrained(0)).toBe(true);
    expect(s.outstanding).toBe(0);
  });

  it('sends nothing more of a batch once one of its messages was rejected', () => {
    const s = scheduler();
    const first = plan(s);
    const [batch] = s.fetched(first.id, rows('item', 1, 3), 0, [0]);
    if (!batch) throw new Error('no batch');
    expect(s.batchRejected(batch.batchId)).toBe(false);
    // The client rejected message 0 before messages 1 and 2 were handed over.
    s.messageSettled(batch.batchId, 0, unavailable, 1);
    expect(s.batchRejected(batch.batchId)).toBe(true);
    const failure = failureOf(s.sendFailed(batch.batchId, 1, unavailable, 1));
    expect(failure.row.position).toBe('1');
    expect(s.eventsInFlight).toBe(0);
  });

  it('halves the requests in flight after a wave of systemic failures, then grows them by one per window accepted', () => {
    const s = scheduler();
    const subjects = Array.from({ length: 40 }, (_, i) => `item-${String(i)}`);
    const pendingRows = subjects.flatMap((subject, i) => rows(subject, i + 1, i + 1));
    expect(s.requestWindow).toBe(Infinity);
    const wave = s.fetched(plan(s).id, pendingRows, 0, [0]);
    expect(wave).toHaveLength(40);
    // Pub/Sub answers none in time: the first failure cuts the window to half of the 40 in flight;
    // the rest, sent before the cut, cut nothing more.
    const failures = wave.map((batch) => failureOf(s.messageSettled(batch.batchId, 0, unavailable, 1)));
    expect(s.requestWindow).toBe(20);
    for (const failure of failures) s.failureRecorded(failure, { attempts: 0, dead: false }, 2);

    // After the pause only the 20 oldest subjects go out, and no fetch runs while they are out.
    const after = s.pausedUntil + 1;
    const retry = s.fetched(plan(s, after).id, pendingRows, after, [0]);
    expect(retry.map((batch) => batch.subject)).toEqual(subjects.slice(0, 20));
    expect(s.requestsInFlight).toBe(20);
    expect(s.nextFetch(after, [0])).toBe('window-full');

    // Where Pub/Sub fell behind, the window grows by one per window's worth of accepted batches.
    for (const batch of retry) {
      expect(s.messageSettled(batch.batchId, 0, undefined, after)).toEqual({
        kind: 'mark',
        positions: batch.rows.map((row) => row.position),
      });
      s.marked(batch.batchId);
    }
    expect(s.requestWindow).toBe(21);
    const rest = s.fetched(plan(s, after).id, pendingRows.slice(20), after, [0]);
    expect(rest.map((batch) => batch.subject)).toEqual(subjects.slice(20));
  });

  it('keeps one request probing through an outage, then doubles back to where Pub/Sub kept up', () => {
    const s = new PublishScheduler<SchedulerRow>({
      batchSize: 5_000,
      maxInFlight: 10_000,
      backoff: { initialMs: 10, maxMs: 100 },
      random: () => 0.5,
    });
    let now = 0;
    const pendingRows = Array.from({ length: 16 }, (_, i) => rows(`item-${String(i)}`, i + 1, i + 1)).flat();
    // The first wave fails: half of it goes out again. When none of that half gets through either,
    // one request probes (halving on, 16 subjects took 2 more waves to get there).
    // A fetch brings 100 rows per request allowed, not a batch the window cannot send.
    const waves: number[] = [];
    const limits: number[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const next = plan(s, now);
      limits.push(next.limit);
      const sent = s.fetched(next.id, pendingRows, now, [0]);
      waves.push(sent.length);
      for (const batch of sent) {
        s.failureRecorded(failureOf(s.messageSettled(batch.batchId, 0, unavailable, now)), undefined, now);
      }
      now = s.pausedUntil + 1;
    }
    expect(waves).toEqual([16, 8, 1, 1, 1]);
    expect(limits).toEqual([5_000, 800, 100, 100, 100]);
    expect(s.requestWindow).toBe(1);

    // Pub/Sub is back: 1, 2, 4, 8 requests (the half of the 16 in flight when it first failed),
    // then one more per 8 accepted.
    const windows: number[] = [];
    let left = pendingRows;
    while (left.length > 0) {
      const sent = s.fetched(plan(s, now).id, left, now, [0]);
      windows.push(sent.length);
      for (const batch of sent) {
        s.messageSettled(batch.batchId, 0, undefined, now);
        s.marked(batch.batchId);
      }
      const done = new Set(sent.map((batch) => batch.subject));
      left = left.filter((row) => !done.has(row.subject));
    }
    expect(windows).toEqual([1, 2, 4, 8, 1]);
    expect(s.requestWindow).toBe(9);
  });

  it('holds the window while Pub/Sub answers slower than slowPublishMs', () => {
    const s = new PublishScheduler<SchedulerRow>({
      batchSize: 100,
      maxInFlight: 1_000,
      backoff: { initialMs: 10, maxMs: 100 },
      slowPublishMs: 500,
      random: () => 0.5,
    });
    const [failing, other] = s.fetched(plan(s).id, [...rows('a', 1, 1), ...rows('b', 2, 2)], 0, [0]);
    if (!failing || !other) throw new Error('no batches');
    s.failureRecorded(failureOf(s.messageSettled(failing.batchId, 0, unavailable, 1)), undefined, 1);
    expect(s.requestWindow).toBe(1);
    // Accepted, but 900 ms after it was sent: no growth. A quick one grows it.
    s.messageSettled(other.batchId, 0, undefined, 900);
    expect(s.requestWindow).toBe(1);
    const now = s.pausedUntil + 1;
    const [quick] = s.fetched(plan(s, now).id, rows('a', 1, 1), now, [0]);
    if (!quick) throw new Error('no batch');
    s.messageSettled(quick.batchId, 0, undefined, now + 20);
    expect(s.requestWindow).toBe(2);
  });
});
