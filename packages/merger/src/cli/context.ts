import type { Writable } from 'node:stream';
import { PubSub } from '@google-cloud/pubsub';
import type { MergerConfig } from '../config.js';
import type { MergerLogger } from '../logger.js';
import type { RawTableOptions } from '../statements.js';
import type { GaugeMeterLike } from '../telemetry.js';
import { openDuckDbWarehouse } from '../warehouse/duckdb.js';
import { openWarehouse } from '../warehouse/open.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/** Where the CLI writes, and how it learns of SIGTERM/SIGINT (the binary wires the real ones). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Registers the handler for the first stop signal (the binary exits on a second one). */
  readonly onStopSignal: (handler: (signal: string) => void) => void;
  /** The working directory the default warehouse path is under; default `process.cwd()`. */
  readonly cwd?: string;
  /** Where a long repair draws its progress bar (the binary passes stderr); none when unset. */
  readonly progressStream?: Writable;
}

/**
 * Exit codes of `rims-merger`: done (audit: clean), failed (audit: findings), bad configuration,
 * and (rebuild-history) another run holds the merge lease, so nothing was changed.
 */
export const EXIT = { ok: 0, failed: 1, config: 2, leaseHeld: 3 } as const;

/** Flags as parsed: strings for settings and values, booleans for switches. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** What every command gets. */
export interface CommandContext {
  readonly config: MergerConfig;
  readonly flags: Flags;
  readonly io: CliIo;
  readonly logger: MergerLogger;
  /** OpenTelemetry meter: OTLP when OTEL_EXPORTER_OTLP_*ENDPOINT is set, no-op otherwise. */
  readonly meter: GaugeMeterLike;
  /** Writes one line to stdout. */
  readonly out: (line: string) => void;
  /**
   * Resolves at the first stop signal. Commands that run until stopped call it; only then are the
   * signals taken over (others keep the default: a signal ends the process).
   */
  readonly untilStopped: () => Promise<string>;
}

/** The raw-table settings of the configuration. */
export function rawTableOptions(config: MergerConfig): RawTableOptions {
  return {
    partition: config.MERGER_RAW_PARTITION,
    partitionExpirationDays: config.MERGER_RAW_PARTITION_EXPIRATION / 86_400_000,
  };
}

/** A Pub/Sub client for the configured project (the emulator when one is set). */
export function pubsubClient(config: MergerConfig): PubSub {
  return new PubSub({
    projectId: config.PUBSUB_PROJECT_ID,
    ...(config.PUBSUB_EMULATOR_HOST ? { apiEndpoint: config.PUBSUB_EMULATOR_HOST } : {}),
  });
}

/**
 * Opens the configured warehouse for `work` and closes it afterwards, whatever happens. Only
 * `provision` creates a DuckDB file (`create`); every other command needs one that is there.
 * `inMemory` opens an empty in-memory DuckDB database instead (a dry run of `provision`).
 */
export async function withWarehouse<T>(
  config: MergerConfig,
  work: (warehouse: Warehouse) => Promise<T>,
  { create = false, inMemory = false }: { create?: boolean; inMemory?: boolean } = {},
): Promise<T> {
  const warehouse = inMemory
    ? await openDuckDbWarehouse(':memory:')
    : await openWarehouse(config.warehouseUrl, { existing: !create });
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}
