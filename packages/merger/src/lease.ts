import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Datasets } from './datasets.js';
import { MergeLeaseError, WarehouseError } from './errors.js';
import { intParam, stringParam } from './params.js';
import { statementRunner } from './statement-runner.js';
import type { Warehouse } from './warehouse/warehouse.js';

/** Who holds the merge lease. */
export interface LeaseState {
  readonly holder: string;
  readonly expiresAt: Date;
  readonly active: boolean;
}

/** A holder id unique to this process and call: `host-pid-random`, usable as a BigQuery label value. */
export function newHolderId(): string {
  const host = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 30);
  return `${host}-${String(process.pid)}-${randomBytes(4).toString('hex')}`;
}

/**
 * The merge lease on a warehouse: a row in `rims_core.merge_lease` taken with a conditional UPDATE.
 * Works the same on BigQuery (which serialises concurrent updates of a table) and DuckDB
 * (optimistic transactions). Every MERGE also checks, in its source, that the lease is still held.
 */
export class MergeLease {
  /**
   * When the lease expires at the latest, on this machine's clock: the time the last successful
   * take or renewal was sent, plus the TTL. The warehouse stamps the expiry when the statement runs,
   * after it was sent, so the lease really lasts at least this long (clock skew aside: see
   * {@link statementTimeoutMs}).
   */
  private heldUntil = 0;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly datasets: Datasets,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly labels: Readonly<Record<string, string>> = {},
  ) {}

  private run(path: string) {
    return statementRunner(this.warehouse, this.datasets, this.labels).run(
      path,
      { holder: stringParam(this.holder), ttl_seconds: intParam(Math.ceil(this.ttlMs / 1000)) },
      { labels: { step: 'lease' } },
    );
  }

  /** Takes the lease (or re-takes our own). Returns false when another holder has it. */
  async tryAcquire(): Promise<boolean> {
    try {
      const sent = Date.now();
      const result = await this.run('lease/acquire.sql');
      if (result.affectedRows > 0) this.heldUntil = sent + this.ttlMs;
      return result.affectedRows > 0;
    } catch (error) {
      // Two takers at the same moment: the warehouse aborts one of the conflicting updates.
      if (/conflict|serializ|concurrent/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  /**
   * Takes the lease, or finds who holds it: undefined when taken, else the other holder (a run that
   * finds one applies nothing).
   *
   * @throws {WarehouseError} when the lease row is missing, naming `rims-merger provision`: without
   *   it no run could ever take the lease, and every one would be skipped for good
   * @example
   * const lease = new MergeLease(warehouse, resolveDatasets(), newHolderId(), 15 * 60_000);
   * const other = await lease.acquireOrFindHolder();
   * if (other) console.log(`${other.holder} holds the lease until ${other.expiresAt.toISOString()}`);
   */
  async acquireOrFindHolder(): Promise<LeaseState | undefined> {
    if (await this.tryAcquire()) return undefined;
    const state = await this.read();
    if (!state)
      throw new WarehouseError(
        `the merge lease row 'item-commitment' is missing from ${this.datasets.core}.merge_lease, so no run can take the lease; run \`rims-merger provision\` to create it`,
        { statement: 'lease/read.sql' },
      );
    return state;
  }

  /**
   * Renews the lease before each step of a run, and after its last MERGE. Extends it only while it
   * is still ours and unexpired (`lease/renew.sql`): re-taking an expired lease, as
   * {@link tryAcquire} would, hides a lapse during which the fenced MERGEs applied nothing.
   *
   * @throws {MergeLeaseError} when the lease lapsed, or expired and another run took it
   */
  async renew(): Promise<void> {
    const sent = Date.now();
    const result = await this.run('lease/renew.sql');
    if (result.affectedRows > 0) {
      this.heldUntil = sent + this.ttlMs;
      return;
    }
    const state = await this.read();
    const lostTo = state && state.holder !== this.holder ? state.holder : undefined;
    throw new MergeLeaseError(
      lostTo
        ? `this run (${this.holder}) lost the merge lease to ${lostTo}; the MERGEs since its last renewal may have applied nothing (they are fenced) and nothing more is applied. Raise the lease TTL (--lease-ttl) if runs take longer than it`
        : `the merge lease of this run (${this.holder}) expired before it was renewed, so the MERGEs since the last renewal may have applied nothing; the run is recorded as failed. Raise the lease TTL (--lease-ttl) above the longest step of a run`,
    );
  }

  /**
   * How long a statement started now may run and still finish before the lease expires, less a
   * margin (a tenth of the TTL, at most 30 s) for clock skew and job start-up. Passed to the
   * warehouse as the statement's timeout, so a MERGE that began under the lease cannot commit
   * after it expired and another run took over.
   *
   * @throws {MergeLeaseError} when less than that margin is left: the step must not start
   */
  statementTimeoutMs(now = Date.now()): number {
    const margin = Math.min(30_000, this.ttlMs / 10);
    const left = this.heldUntil - now - margin;
    if (left <= 0)
      throw new MergeLeaseError(
        `the merge lease of this run (${this.holder}) has less than ${String(Math.round(margin))} ms left, too little to start another statement under it; raise the lease TTL (--lease-ttl) above the longest step of a run`,
      );
    return Math.floor(left);
  }

  /** Gives the lease back, if still held. */
  async release(): Promise<void> {
    await this.run('lease/release.sql');
  }

  /** Who holds the lease now. */
  async read(): Promise<LeaseState | undefined> {
    const { rows } = await this.run('lease/read.sql');
    const row = rows[0];
    if (!row) return undefined;
    return { holder: String(row.holder), expiresAt: row.expires_at as Date, active: Boolean(row.active) };
  }
}
