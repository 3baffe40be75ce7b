import { resolveDatasets, type Datasets } from './datasets.js';
import {
  DISCREPANCY_AUDIT_STATEMENT,
  discrepanciesFromRows,
  type StateDiscrepancy,
} from './discrepancies.js';
import { MergerConfigError } from './errors.js';
import { DEFAULT_LOOKBACK_MS, readWatermark } from './merge.js';
import { intParam, timestampParam } from './params.js';
import { statementRunner } from './statement-runner.js';
import type { QueryParam, Warehouse } from './warehouse/warehouse.js';

/** Seven days of raw publish time: what `audit` looks at unless told otherwise. */
export const DEFAULT_AUDIT_SPAN_MS = 7 * 86_400_000;

/** Options of {@link runAudit}. */
export interface AuditOptions {
  readonly datasets?: Partial<Datasets>;
  /** Audit raw rows published from ... (default: `to` minus 7 days) */
  readonly from?: Date;
  /** ... to (exclusive; default now). */
  readonly to?: Date;
  /** The lookback the scheduled runs use; decides which missing events the next run still picks up. */
  readonly lookbackMs?: number | undefined;
  /**
   * Most rows listed per finding; default 100. Counts and the repair window cover every event,
   * listed or not.
   */
  readonly limit?: number;
  readonly now?: Date;
}

/**
 * An item whose highest sequences disagree across Raw, Core and State, or whose Core has gaps,
 * even counting its pending events (those the next incremental run merges) as merged.
 */
export interface SubjectFinding {
  readonly subject: string;
  readonly rawMaxSequence: number;
  readonly coreMaxSequence: number | null;
  readonly coreSequences: number | null;
  /** Highest sequence in Core or among the item's pending events. */
  readonly knownMaxSequence: number | null;
  /** Distinct sequences in Core or among the item's pending events. */
  readonly knownSequences: number | null;
  /** Lowest sequence in Core (from the audit's Core horizon on) or among the item's pending events. */
  readonly knownMinSequence: number | null;
  readonly stateVersion: number | null;
  readonly problems: readonly string[];
}

/** A missing range of sequences of an item in Core. */
export interface SequenceGap {
  readonly subject: string;
  readonly missingFrom: number;
  readonly missingTo: number;
}

/** A valid raw event that is not in Core. */
export interface MissingEvent {
  readonly id: string;
  readonly subject: string;
  readonly sequence: number;
  readonly publishTime: Date;
}

/** What {@link runAudit} found. `clean` is true when it found nothing to fix. */
export interface AuditReport {
  readonly from: Date;
  readonly to: Date;
  readonly watermark: Date | undefined;
  /** Where the next incremental run's window starts: missing events older than this need a repair. */
  readonly nextWindowFrom: Date | undefined;
  readonly subjects: readonly SubjectFinding[];
  readonly gaps: readonly SequenceGap[];
  /**
   * Not merged yet, but inside the next run's window: the next run picks them up. Information, not
   * a finding: under live traffic there always are some. Their items are not findings either.
   */
  readonly pending: readonly MissingEvent[];
  /** How many pending events there are; `pending` lists at most `limit` of them. */
  readonly pendingCount: number;
  /**
   * Arrived behind the lookback window: only a repair (`run --from --to`) merges them. At most
   * `limit` of them, oldest first.
   */
  readonly behindLookback: readonly MissingEvent[];
  /** How many events are behind the lookback; when more than `behindLookback.length`, the list is cut. */
  readonly behindLookbackCount: number;
  /** The most rows listed per finding. */
  readonly limit: number;
  readonly rejected: readonly { reason: string; messages: number; firstPublishTime: Date }[];
  /**
   * The repair that merges every event behind the lookback, listed or not (the window comes from
   * all of them), when there are any.
   */
  readonly repair: { readonly from: Date; readonly to: Date; readonly command: string } | undefined;
  /**
   * Snapshots that differ from the state the warehouse derived before them (drift between the
   * application and the warehouse), for the snapshots of the audited span; at most `limit`.
   */
  readonly discrepancies: readonly StateDiscrepancy[];
  /** How many discrepancies there are; `discrepancies` lists at most `limit` of them. */
  readonly discrepancyCount: number;
  /**
   * No subject finding, no gap, nothing behind the lookback and no discrepancy (pending events do
   * not count).
   */
  readonly clean: boolean;
}

/** A time from the warehouse, a millisecond earlier (it may have had microseconds), if it is one. */
const minus1ms = (value: unknown): Date | undefined =>
  value instanceof Date ? new Date(value.getTime() - 1) : undefined;

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * Compares Raw, Core and State for the items with raw events in [from, to): the highest sequence
 * in each, sequence gaps in Core, and valid raw events missing from Core, split into those the next
 * incremental run still picks up (pending: information, so a daily audit under live traffic is
 * clean) and those that arrived behind the lookback window (findings, with the `run --from --to`
 * that repairs them). Snapshots found to differ from the state derived before them (drift, from
 * rims_core.item_state_discrepancies) are findings. Rejected rows are listed by reason for information.
 *
 * @example
 * import { parseDuration } from '@rims/schemas';
 * import { runAudit } from '@rims/merger';
 * const report = await runAudit(warehouse, { lookbackMs: parseDuration('2d') });
 * if (!report.clean) console.log(report.repair?.command);
 */
export async function runAudit(warehouse: Warehouse, options: AuditOptions = {}): Promise<AuditReport> {
  const datasets = resolveDatasets(options.datasets);
  const now = options.now ?? new Date();
  const to = options.to ?? now;
  const from = options.from ?? new Date(to.getTime() - DEFAULT_AUDIT_SPAN_MS);
  if (from.getTime() >= to.getTime())
    throw new MergerConfigError(
      `audit window [${from.toISOString()}, ${to.toISOString()}) is empty; --from must be before --to`,
    );
  const lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const limit = options.limit ?? 100;
  const watermark = await readWatermark(warehouse, datasets);
  const nextWindowFrom = watermark ? new Date(watermark.getTime() - lookbackMs) : undefined;
  const values = {
    audit_from: timestampParam(from),
    audit_to: timestampParam(to),
    // Before the first run, the next one merges all of raw: everything missing is pending.
    pending_from: timestampParam(nextWindowFrom ?? new Date(0)),
    limit: intParam(limit),
    // merge/010_window.sql reads the audit window as a merge window.
    window_from: timestampParam(from),
    window_to: timestampParam(to),
  };
  const statements = statementRunner(warehouse, datasets, { component: 'audit' });
  const read = async (path: string, more: Readonly<Record<string, QueryParam>> = {}) =>
    (await statements.run(path, { ...values, ...more })).rows;

  // The event times of the raw rows the audit reads (the window, and the pending rows from where
  // the next run's window starts), by the merge's own statement. Every Core read is bounded below by
  // the earliest of them: Core is partitioned by event time, and a raw row's Core copy has its time,
  // so the audit's cost follows the span it audits rather than all of Core's history.
  const readFrom = new Date(Math.min(from.getTime(), (nextWindowFrom ?? new Date(0)).getTime()));
  const [span = {}] = await read('merge/010_window.sql', {
    window_from: timestampParam(readFrom),
    window_to: timestampParam(new Date(Math.max(to.getTime(), now.getTime()))),
  });
  // Dates carry milliseconds and the warehouse microseconds: widen so no copy falls outside.
  const coreFrom = { core_from: timestampParam(minus1ms(span.min_time) ?? from) };

  const subjects = (await read('audit/subjects.sql', coreFrom))
    .map((row): SubjectFinding => {
      const finding = {
        subject: String(row.subject),
        rawMaxSequence: Number(row.raw_max_sequence),
        coreMaxSequence: num(row.core_max_sequence),
        coreSequences: num(row.core_sequences),
        knownMaxSequence: num(row.known_max_sequence),
        knownSequences: num(row.known_sequences),
        knownMinSequence: num(row.known_min_sequence),
        stateVersion: num(row.state_version),
      };
      return { ...finding, problems: subjectProblems(finding) };
    })
    .filter((finding) => finding.problems.length > 0);

  const gaps = (await read('audit/gaps.sql', coreFrom)).map((row): SequenceGap => ({
    subject: String(row.subject),
    missingFrom: Number(row.missing_from),
    missingTo: Number(row.missing_to),
  }));

  // Core is partitioned by event time, and every copy of an event carries the event's time (the
  // merge's own assumption, merge/020): a Core row of a raw row of the window has an event time
  // inside the window's range. Bounding the lookup by that range, computed by the merge's own
  // statement, makes its cost follow the window rather than all of Core's history.
  const [window = {}] = await read('merge/010_window.sql');
  // Dates carry milliseconds and the warehouse microseconds: widen so no copy falls outside. Without
  // valid rows nothing is missing and any range will do.
  const eventTimes = {
    min_time: timestampParam(minus1ms(window.min_time) ?? from),
    max_time: timestampParam(window.max_time instanceof Date ? new Date(window.max_time.getTime() + 1) : to),
  };
  const missing = (await read('audit/missing.sql', eventTimes)).map((row): MissingEvent => ({
    id: String(row.id),
    subject: String(row.subject),
    sequence: Number(row.sequence),
    publishTime: row.publish_time as Date,
  }));
  const behindLookback = missing.filter(
    (event) => nextWindowFrom !== undefined && event.publishTime.getTime() < nextWindowFrom.getTime(),
  );
  const pending = missing.filter((event) => !behindLookback.includes(event));
  // The list stops at the limit; the counts and the repair window must not, or a repair built from
  // the list would leave the events past it behind and the next audit would find them again.
  const [summary = {}] = await read('audit/missing_summary.sql', eventTimes);
  const behindLookbackCount = Number(summary.behind_events ?? 0);
  const pendingCount = Number(summary.pending_events ?? 0);

  const drift = discrepanciesFromRows(await read(DISCREPANCY_AUDIT_STATEMENT, coreFrom));

  const rejected = (await read('audit/rejected.sql')).map((row) => ({
    reason: String(row.reason),
    messages: Number(row.messages),
    firstPublishTime: row.first_publish_time as Date,
  }));

  let repair: AuditReport['repair'];
  const first = summary.behind_from;
  const last = summary.behind_to;
  if (behindLookbackCount > 0 && first instanceof Date && last instanceof Date) {
    // Whole minutes, `to` past the last event: the window is exclusive at the end. But never later
    // than now, which `run` refuses (a late event can be in the current minute with a short
    // lookback); every event behind the lookback was published before now.
    const minute = 60_000;
    const repairFrom = new Date(Math.floor(first.getTime() / minute) * minute);
    const repairTo = new Date(Math.min((Math.floor(last.getTime() / minute) + 1) * minute, now.getTime()));
    repair = {
      from: repairFrom,
      to: repairTo,
      command: `rims-merger run --from ${repairFrom.toISOString()} --to ${repairTo.toISOString()}`,
    };
  }

  return {
    from,
    to,
    watermark,
    nextWindowFrom,
    subjects,
    gaps,
    pending,
    pendingCount,
    behindLookback,
    behindLookbackCount,
    limit,
    rejected,
    repair,
    discrepancies: drift.discrepancies,
    discrepancyCount: drift.count,
    clean: subjects.length === 0 && gaps.length === 0 && behindLookbackCount === 0 && drift.count === 0,
  };
}

/** What disagrees for one item (mirrors the filter of audit/subjects.sql). */
function subjectProblems(finding: Omit<SubjectFinding, 'problems'>): string[] {
  const {
    rawMaxSequence,
    coreMaxSequence,
    knownMaxSequence,
    knownSequences,
    knownMinSequence,
    stateVersion,
  } = finding;
  const withPending = knownMaxSequence !== coreMaxSequence ? ' (with the events the next run merges)' : '';
  const problems: string[] = [];
  if (knownMaxSequence === null) problems.push('no event of the item is in Core');
  else {
    if (rawMaxSequence > knownMaxSequence)
      problems.push(
        `Raw has sequence ${String(rawMaxSequence)}, Core${withPending} only up to ${String(knownMaxSequence)}`,
      );
    const lowest = knownMinSequence ?? 1;
    if (knownSequences !== knownMaxSequence - lowest + 1)
      problems.push(
        `Core${withPending} has ${String(knownSequences)} of sequences ${String(lowest)}..${String(knownMaxSequence)}`,
      );
  }
  // State is written with Core, by the same run: compared with Core alone, pending events aside.
  if (coreMaxSequence !== null) {
    if (stateVersion === null) problems.push('the item has no state row');
    else if (stateVersion !== coreMaxSequence)
      problems.push(`State is at version ${String(stateVersion)}, Core at ${String(coreMaxSequence)}`);
  }
  return problems;
}
