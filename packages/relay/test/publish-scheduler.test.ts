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
    const [batch] = s.fetched(first.id, rows('item', 1, 3), 0, [0]);
    if (!batch) throw new Error('no batch');
    s.messageSettled(batch.batchId, 0, unavailable, 1);
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
});
