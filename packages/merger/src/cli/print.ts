/** The human-readable reports of `rims-merger` (`--json` prints the objects instead). */
import type { AuditReport } from '../audit.js';
import type { RebuildHistoryReport } from '../history-rebuild.js';
import type { MergeReport } from '../merge.js';
import type { ProvisionStep } from '../provision.js';

/** Provision steps, one line each (the SQL too on a dry run). */
export function printSteps(
  out: (line: string) => void,
  steps: readonly ProvisionStep[],
  dryRun: boolean,
): void {
  for (const step of steps) {
    out(`${step.status.padEnd(8)} ${step.target.padEnd(9)} ${step.action}`);
    if (dryRun && step.sql) out(`${step.sql.trimEnd()}\n`);
  }
}

/** A merge report: the window, then one line per chunk. */
export function printRun(out: (line: string) => void, report: MergeReport): void {
  if (report.outcome === 'skipped') {
    out(`skipped: another run (${report.leaseHolder ?? 'unknown'}) holds the merge lease; nothing applied`);
    return;
  }
  const window = `[${report.windowFrom.toISOString()}, ${report.windowTo.toISOString()})`;
  out(`${report.outcome} ${report.mode} merge of ${window}`);
  for (const chunk of report.chunks) {
    const bytes = chunk.bytesProcessed === null ? '' : `, ${String(chunk.bytesProcessed)} bytes`;
    out(
      report.outcome === 'dry-run'
        ? `  ${chunk.windowFrom.toISOString()} .. ${chunk.windowTo.toISOString()}: ${String(chunk.rawRows)} raw rows (${String(chunk.validRows)} valid)${bytes} to be processed`
        : `  ${chunk.windowFrom.toISOString()} .. ${chunk.windowTo.toISOString()}: ${String(chunk.rawRows)} raw rows, +${String(chunk.coreInserted)} core, +${String(chunk.rejectedInserted)} rejected, ${String(chunk.stateChanged)} items changed${bytes}, ${String(chunk.durationMs)} ms`,
    );
  }
}

/** An audit report: each finding, the repair, and `clean` or `findings` last. */
export function printAudit(out: (line: string) => void, report: AuditReport): void {
  out(`audit of raw rows published in [${report.from.toISOString()}, ${report.to.toISOString()})`);
  out(`watermark ${report.watermark?.toISOString() ?? '(no successful run yet)'}`);
  for (const subject of report.subjects) out(`item ${subject.subject}: ${subject.problems.join('; ')}`);
  for (const gap of report.gaps)
    out(
      `gap: item ${gap.subject} misses sequences ${String(gap.missingFrom)}..${String(gap.missingTo)} in core`,
    );
  if (report.pendingCount > 0)
    out(
      `${String(report.pendingCount)} event(s) not merged yet, inside the next run's window (the next run merges them)`,
    );
  for (const event of report.behindLookback)
    out(
      `behind lookback: event ${event.id} (item ${event.subject}, sequence ${String(event.sequence)}) published ${event.publishTime.toISOString()}`,
    );
  if (report.behindLookbackCount > report.behindLookback.length)
    out(
      `behind lookback: showing ${String(report.behindLookback.length)} of ${String(report.behindLookbackCount)} events (--limit ${String(report.limit)}); the repair covers all of them`,
    );
  if (report.repair) out(`repair with: ${report.repair.command}`);
  if (report.discrepancyCount > 0)
    out(
      `${String(report.discrepancyCount)} discrepancy(ies): a snapshot differs from the state the warehouse derived before it (showing ${String(report.discrepancies.length)})`,
    );
  for (const found of report.discrepancies) {
    const state = (side: typeof found.snapshot) =>
      [side.status, side.orderId, side.sku, side.quantity, side.locationId]
        .map((value) => (value === null ? '-' : String(value)))
        .join(' ');
    out(
      `discrepancy: item ${found.itemId} sequence ${String(found.sequence)} (event ${found.eventId}): snapshot [${state(found.snapshot)}], derived [${state(found.derived)}] (status order sku quantity location)`,
    );
  }
  for (const rejected of report.rejected) out(`rejected ${String(rejected.messages)}x: ${rejected.reason}`);
  out(report.clean ? 'clean' : 'findings: see above');
}

/** A history rebuild: what it wrote, the days of the mart, the time it took. */
export function printRebuild(out: (line: string) => void, report: RebuildHistoryReport): void {
  const day = (date: Date | undefined) => date?.toISOString().slice(0, 10) ?? '-';
  if (report.outcome === 'skipped') {
    out(
      `skipped: another run (${report.leaseHolder ?? 'unknown'}) holds the merge lease; nothing changed. Run rebuild-history again once it is done`,
    );
    return;
  }
  if (report.outcome === 'dry-run') {
    const bytes =
      report.bytesProcessed === null
        ? 'every statement binds'
        : `${String(report.bytesProcessed)} bytes to be processed`;
    out(`dry run of the history rebuild through ${day(report.throughDay)}: ${bytes}; nothing changed`);
    return;
  }
  const bytes = report.bytesProcessed === null ? '' : `; ${String(report.bytesProcessed)} bytes`;
  const spans = report.spans === undefined ? '' : ` ${String(report.spans)} spans,`;
  out(
    `history rebuilt from Core: ${String(report.historyRows)} history rows,${spans} ${String(report.dailyRows)} daily_committed rows for days ${day(report.firstDay)} .. ${day(report.throughDay)}; daily_committed_through ${day(report.throughDay)}${bytes}; ${String(report.durationMs)} ms`,
  );
}
