/**
 * Defaults of `RelayOptions`; each works against a local PostgreSQL and the emulator.
 *
 * @example createRelay({ batchSize: RELAY_DEFAULTS.batchSize * 2 })
 */
export const RELAY_DEFAULTS = {
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  projectId: 'rims-local',
  topic: 'rims-item-events',
  schema: 'rims_outbox',
  batchSize: 5_000,
  maxInFlight: 40_000,
  pollIntervalMs: 1_000,
  lingerMs: 5,
  idleAfterMs: 50,
  leaseTtlMs: 10_000,
  heartbeatIntervalMs: 2_000,
  publishTimeoutMs: 4_000,
  maxAttempts: 5,
  backoffInitialMs: 100,
  backoffMaxMs: 30_000,
  retentionMs: 86_400_000,
  retentionIntervalMs: 60_000,
  retentionBatchSize: 1_000,
  statsIntervalMs: 5_000,
  shutdownTimeoutMs: 8_000,
  onceTimeoutMs: 120_000,
  httpHost: '0.0.0.0',
  httpPort: 9464,
} as const;
