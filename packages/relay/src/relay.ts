import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { outboxSchemaName } from '@rims/outbox';
import type { BackoffOptions } from './backoff.js';
import { RELAY_DEFAULTS, resolveRelaySettings } from './config.js';
import { RelayStateError } from './errors.js';
import { describeFailure } from './failure-kind.js';
import { startHttpServer, type HealthReport } from './http-server.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import type { RemainingPartition } from './publishing/outbox-port.js';
import { relaySql } from './queries/index.js';
import type { RelayOptions } from './relay-options.js';
import { bootRuntime, type BootContext } from './runtime/boot.js';
import type { Runtime, StopResult } from './runtime/runtime.js';
import { noopTracer } from './telemetry.js';

export type { RelayOptions } from './relay-options.js';
export type { StopResult } from './runtime/runtime.js';

/**
 * A relay: publishes the outbox to Pub/Sub until stopped.
 *
 * @example
 * const relay = createRelay({ topic: 'rims-item-events' });
 * await relay.start();
 * const { drained } = await relay.stop({ timeout: 8_000 });
 */
export interface Relay {
  /** Its id in relay_replicas and relay_leases. */
  readonly replicaId: string;
  /** The Prometheus registry with the relay's metrics (served on /metrics when `http` is set). */
  readonly metrics: Registry;
  /** The HTTP port actually bound, once started with `http`. */
  readonly httpPort: number | undefined;
  /**
   * Checks the database schema, starts listening and publishing, and returns.
   *
   * @throws {RelaySchemaError} when the outbox schema lacks a migration this release needs
   */
  start(): Promise<void>;
  /**
   * Stops claiming new work, lets in-flight publishes finish and records them, releases the leases
   * of drained partitions (the others expire after the lease TTL), and closes every connection.
   * Resolves within `timeout` ms (default 8,000) plus the time to close connections.
   */
  stop(options?: { timeout?: number }): Promise<StopResult>;
  /**
   * Publishes everything pending up to the newest event at the call, then stops. It takes every
   * lease that is free or expires while it runs (a crashed replica's, after the lease TTL); beside
   * running replicas it publishes part of the work and waits for them to publish the rest. Gives up
   * after `onceTimeoutMs` and reports what is left (`complete: false`). The relay must not be started.
   */
  runOnce(): Promise<RunOnceResult>;
  /** Liveness and readiness, as /healthz and /readyz report them. */
  health(): HealthReport;
}

/**
 * What `runOnce()` did.
 *
 * @example const { published, dead } = await createRelay(options).runOnce();
 */
export interface RunOnceResult {
  readonly published: number;
  readonly dead: number;
  /** Every event pending at the start is published or parked dead (by this run or another replica). */
  readonly complete: boolean;
  /**
   * What was left at the timeout, by lease partition, with the lease holder; empty when complete,
   * or when the database could not be reached to count.
   */
  readonly remaining: readonly RemainingPartition[];
}

/**
 * Creates a relay. Nothing connects until `start()` or `runOnce()`.
 *
 * @throws {RelayConfigError} naming each option that is out of range
 * @example
 * const relay = createRelay({ databaseUrl, topic: 'rims-item-events', http: { port: 9464 } });
 * await relay.start();
 * // ... on shutdown:
 * await relay.stop({ timeout: 8_000 });
 */
export function createRelay(options: RelayOptions = {}): Relay {
  const settings = {
    ...resolveRelaySettings(options),
    replicaId: options.replicaId ?? `${hostname()}-${String(process.pid)}-${randomBytes(3).toString('hex')}`,
  };
  const schema = outboxSchemaName(settings.schema);
  const logger = (options.logger ?? pino({ name: 'rims-relay' })).child({ replica: settings.replicaId });
  const metrics = createRelayMetrics({ process: options.processMetrics ?? false });
  const backoff: BackoffOptions = { initialMs: settings.backoffInitialMs, maxMs: settings.backoffMaxMs };
  const context: BootContext = {
    settings,
    options,
    schema,
    sql: relaySql(schema, (statement) => {
      metrics.statements.inc({ statement });
    }),
    logger,
    metrics,
    tracer: options.tracer ?? noopTracer,
    backoff,
  };

  let runtime: Runtime | undefined;
  let state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  /** The boot of start() or runOnce(), which stop() waits for. */
  let starting: Promise<void> | undefined;
  /** The one shutdown, however many times stop() is called. */
  let stopping: Promise<StopResult> | undefined;
  /** A function, so that a check after an await is not narrowed away by the one before it. */
  const stillRunning = () => state === 'running';
  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  let fatal: string | undefined;

  const health = (): HealthReport => {
    const healthy = fatal === undefined && state !== 'stopped';
    const details: Record<string, unknown> = { replica: settings.replicaId, state };
    if (fatal) details.error = fatal;
    if (!runtime) return { healthy, ready: false, details };
    const report = runtime.report();
    return {
      healthy,
      ready: state === 'running' && report.ready,
      details: { ...details, ...report.details },
    };
  };

  /** Connects, then serves HTTP if asked; a failure closes what was opened. */
  const boot = async (mode: 'share' | 'all'): Promise<Runtime> => {
    const booted = await bootRuntime(context, mode);
    runtime = booted;
    if (options.http) {
      server = await startHttpServer({
        port: options.http.port,
        host: options.http.host ?? RELAY_DEFAULTS.httpHost,
        registry: metrics.registry,
        health,
      });
    }
    return booted;
  };

  const relay: Relay = {
    replicaId: settings.replicaId,
    metrics: metrics.registry,
    get httpPort() {
      return server?.port;
    },
    health,

    async start() {
      if (state !== 'new')
        throw new RelayStateError(`start() called on a relay that is ${state}; create a new relay`);
      state = 'running';
      starting = (async () => {
        let booted: Runtime;
        try {
          booted = await boot('share');
        } catch (error) {
          state = 'stopped';
          // Close what boot() opened (pool, Pub/Sub client, registration): nothing else will.
          await runtime?.stop(0);
          await server?.close();
          throw error;
        }
        // stop() came while starting: it shuts the runtime down once this returns.
        if (!stillRunning()) return;
        logger.info(
          { topic: settings.topic, schema, httpPort: server?.port, leaseTtlMs: settings.leaseTtlMs },
          'relay started',
        );
        booted.start((error) => {
          fatal = describeFailure(error);
          logger.fatal({ err: error }, 'relay loop failed');
        });
      })();
      await starting;
    },

    stop(stopOptions = {}) {
      if (state === 'new') {
        state = 'stopped';
        return Promise.resolve({ drained: true });
      }
      stopping ??= (async () => {
        state = 'stopping';
        // Stopping while start() or runOnce() boots: let the boot finish, then shut down what it
        // opened (a failed boot has closed everything already).
        await starting?.catch(() => undefined);
        const timeout = stopOptions.timeout ?? settings.shutdownTimeoutMs;
        const result = runtime ? await runtime.stop(timeout) : { drained: true };
        await server?.close();
        state = 'stopped';
        logger.info({ drained: result.drained }, 'relay stopped');
        return result;
      })();
      return stopping;
    },

    async runOnce() {
      if (state !== 'new')
        throw new RelayStateError(`runOnce() called on a relay that is ${state}; create a new relay`);
      state = 'running';
      const before = await metricValue(metrics, 'published');
      const deadBefore = await metricValue(metrics, 'parkedDead');
      let outcome: { complete: boolean; remaining: readonly RemainingPartition[] } = {
        complete: false,
        remaining: [],
      };
      try {
        let booted: Runtime | undefined;
        starting = (async () => {
          booted = await boot('all');
        })();
        await starting;
        // A stop() during the boot means: publish nothing.
        if (stillRunning() && booted) {
          logger.info(
            { topic: settings.topic, schema, httpPort: server?.port },
            'relay publishing the backlog once',
          );
          outcome = await booted.runToCompletion(settings.onceTimeoutMs);
        }
      } finally {
        // stop() may have been called meanwhile (SIGTERM): it and this share one shutdown.
        await relay.stop();
      }
      const result: RunOnceResult = {
        published: (await metricValue(metrics, 'published')) - before,
        dead: (await metricValue(metrics, 'parkedDead')) - deadBefore,
        ...outcome,
      };
      if (result.complete)
        logger.info({ published: result.published, dead: result.dead }, 'backlog published');
      else logger.error(result, 'backlog not drained within the once timeout');
      return result;
    },
  };
  return relay;
}

async function metricValue(metrics: RelayMetrics, name: 'published' | 'parkedDead'): Promise<number> {
  const value = await metrics[name].get();
  return value.values[0]?.value ?? 0;
}
