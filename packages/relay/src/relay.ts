import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PubSub } from '@google-cloud/pubsub';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { outboxSchemaName, outboxWakeChannel, schemaStatus } from '@rims/outbox';
import { within } from '@rims/schemas';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { RELAY_DEFAULTS } from './defaults.js';
import { RelayConfigError, RelaySchemaError, RelayStateError, ReplicaIdInUseError } from './errors.js';
import { describeFailure } from './failure-kind.js';
import { startHttpServer, type HealthReport } from './http-server.js';
import { LeaseKeeper } from './lease-keeper.js';
import { MarkQueue } from './mark-queue.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import { publishCallOptions } from './publish-call-options.js';
import { outboxPort, type RemainingPartition } from './publishing/outbox-port.js';
import { PublishLoop, type ParkedEvent, type PublishedEvent } from './publishing/publish-loop.js';
import { topicPort } from './publishing/pubsub-port.js';
import { relaySql, type RelaySql } from './queries.js';
import { deletePublishedEvents } from './retention.js';
import { noopTracer, type TracerLike } from './telemetry.js';
import { WaitingMark } from './waiting-mark.js';
import { WakeListener } from './wake-listener.js';

/**
 * Options of {@link createRelay}. Every setting has a default that works locally.
 *
 * @example const options: RelayOptions = { databaseUrl, topic: 'rims-item-events', leaseTtlMs: 15_000 };
 */
export interface RelayOptions {
  /** PostgreSQL holding the outbox; default `postgres://postgres@127.0.0.1:5432/postgres`. */
  databaseUrl?: string;
  /** A Pub/Sub client to publish with (the relay does not close it). Default: one made from the next two. */
  pubsub?: PubSub;
  /** Google Cloud project of the topic; default `rims-local` (works with the emulator). */
  projectId?: string;
  /** `host:port` of the Pub/Sub emulator; unset in production. */
  emulatorHost?: string;
  /** Topic to publish to; default `rims-item-events`. */
  topic?: string;
  /** Schema of the outbox tables; default `rims_outbox`. */
  schema?: string;
  /** Pending events read per query; default 5,000. */
  batchSize?: number;
  /** Most events handed to Pub/Sub and not yet recorded, across subjects; default 40,000. */
  maxInFlight?: number;
  /** How often to look for work without a wake-up (NOTIFY); default 1,000 ms. */
  pollIntervalMs?: number;
  /** While active, how soon to look again after a fetch found less than a full batch; default 5 ms. */
  lingerMs?: number;
  /**
   * How long without work before the relay asks writers to NOTIFY (marks itself waiting) and waits for
   * a wake-up; default 50 ms. 0: never linger, and stay marked while working, so writers always NOTIFY.
   */
  idleAfterMs?: number;
  /** How long a lease lasts without renewal: a dead replica's share is taken over after this; default 10,000 ms. */
  leaseTtlMs?: number;
  /** How often the replica heartbeats, renews and rebalances its leases; default 2,000 ms. */
  heartbeatIntervalMs?: number;
  /** Deadline of one publish request, client retries included; default 4,000 ms. */
  publishTimeoutMs?: number;
  /** Attempts of an event that fails permanently before it is parked as dead; default 5. */
  maxAttempts?: number;
  /** First retry delay after a failure (doubles each time, with jitter); default 100 ms. */
  backoffInitialMs?: number;
  /** Longest retry delay; default 30,000 ms. */
  backoffMaxMs?: number;
  /** Published events are deleted this long after publishing; default 1 day. */
  retentionMs?: number;
  /** How often retention runs; default 60,000 ms. */
  retentionIntervalMs?: number;
  /** Events deleted per retention statement; default 1,000. */
  retentionBatchSize?: number;
  /** How often the backlog and dead-event gauges are measured; default 5,000 ms. */
  statsIntervalMs?: number;
  /** How long `runOnce()` may take before it gives up and reports what is left; default 120,000 ms. */
  onceTimeoutMs?: number;
  /** How long `stop()` (and the end of `runOnce()`) waits for in-flight publishes; default 8,000 ms. */
  shutdownTimeoutMs?: number;
  /** This replica's id in the lease tables; default `<hostname>-<pid>-<random>`. */
  replicaId?: string;
  /** Serve /healthz, /readyz and /metrics; default: no HTTP server. `port: 0` picks a free port. */
  http?: { port: number; host?: string };
  /** JSON logger; default pino at level info on stdout. */
  logger?: Logger;
  /** An OpenTelemetry tracer (`trace.getTracer('rims-relay')`); default: no tracing. */
  tracer?: TracerLike;
  /** Also export process and Node.js metrics; default false (the binary turns it on). */
  processMetrics?: boolean;
  /** Called with the events of each publish Pub/Sub accepted, before they are recorded. */
  onPublished?: (events: readonly PublishedEvent[]) => void;
  /** Called for each event parked as dead. */
  onDead?: (event: ParkedEvent) => void;
}

/**
 * What `stop()` managed before its timeout.
 *
 * @example if (!(await relay.stop()).drained) log.warn('some events will be published again');
 */
export interface StopResult {
  /** Every publish that was in flight was settled and recorded before the leases were released. */
  readonly drained: boolean;
}

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
  /** What was left at the timeout, by lease partition, with the lease holder; empty when complete. */
  readonly remaining: readonly RemainingPartition[];
}

type Settings = Required<
  Omit<RelayOptions, 'pubsub' | 'emulatorHost' | 'http' | 'logger' | 'tracer' | 'onPublished' | 'onDead'>
>;

/**
 * Creates a relay. Nothing connects until `start()` or `runOnce()`.
 *
 * @throws {RelayConfigError} naming an option that is out of range
 * @example
 * const relay = createRelay({ databaseUrl, topic: 'rims-item-events', http: { port: 9464 } });
 * await relay.start();
 * // ... on shutdown:
 * await relay.stop({ timeout: 8_000 });
 */
export function createRelay(options: RelayOptions = {}): Relay {
  const settings = resolveSettings(options);
  const schema = outboxSchemaName(settings.schema);
  const sql = relaySql(schema);
  const logger = (options.logger ?? pino({ name: 'rims-relay' })).child({ replica: settings.replicaId });
  const metrics = createRelayMetrics({ process: settings.processMetrics });
  const tracer = options.tracer ?? noopTracer;
  const backoff: BackoffOptions = { initialMs: settings.backoffInitialMs, maxMs: settings.backoffMaxMs };

  let runtime: Runtime | undefined;
  let state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  /** The boot of start() or runOnce(), which stop() waits for. */
  let starting: Promise<void> | undefined;
  /** The one shutdown, however many times stop() is called. */
  let stopping: Promise<StopResult> | undefined;
  /** A function, so that a check after an await is not narrowed away by the one before it. */
  const stillRunning = () => state === 'running';
  let httpPort: number | undefined;
  let fatal: string | undefined;

  const boot = async (mode: 'share' | 'all'): Promise<Runtime> => {
    const pool = new pg.Pool({
      connectionString: settings.databaseUrl,
      max: 6,
      application_name: `rims-relay ${settings.replicaId}`.slice(0, 63),
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      // A query that hangs (a network partition) must fail, so leases lapse and work stops cleanly.
      query_timeout: 30_000,
    });
    pool.on('error', (error) => {
      // An idle connection died (PostgreSQL restarted); the pool replaces it on next use.
      logger.warn({ err: error }, 'idle database connection lost');
    });
    try {
      await checkSchema(pool, schema);
    } catch (error) {
      await pool.end();
      throw error;
    }

    const ownsPubSub = options.pubsub === undefined;
    const pubsub =
      options.pubsub ??
      new PubSub({
        projectId: settings.projectId,
        // An endpoint that is not a googleapis.com host puts the client in emulator mode.
        ...(options.emulatorHost ? { apiEndpoint: options.emulatorHost } : {}),
      });
    const topic = pubsub.topic(settings.topic, {
      messageOrdering: true,
      batching: { maxMessages: 1_000, maxBytes: 9 * 1024 * 1024, maxMilliseconds: 1 },
      gaxOpts: publishCallOptions(settings.publishTimeoutMs),
    });

    const leases = new LeaseKeeper({
      db: pool,
      sql,
      replicaId: settings.replicaId,
      ttlMs: settings.leaseTtlMs,
      logger,
      mode,
    });
    const marks = new MarkQueue({ db: pool, statement: sql.markPublished, backoff, logger });
    // --once never waits for a wake-up, so it never asks writers to NOTIFY.
    const waiting =
      mode === 'share'
        ? new WaitingMark({
            db: pool,
            markStatement: sql.markWaiting,
            unmarkStatement: sql.unmarkWaiting,
            replicaId: settings.replicaId,
            logger,
            onChange: (marked) => {
              metrics.waiting.set(marked ? 1 : 0);
            },
          })
        : undefined;
    const listener = new WakeListener({
      connection: {
        connectionString: settings.databaseUrl,
        application_name: `rims-relay listen ${settings.replicaId}`.slice(0, 63),
        connectionTimeoutMillis: 5_000,
        keepAlive: true,
      },
      channel: outboxWakeChannel(schema),
      backoff,
      logger,
      onWake: () => {
        loop.notify();
      },
      onConnectedChange: (connected) => {
        metrics.listenerConnected.set(connected ? 1 : 0);
      },
    });
    const loop = new PublishLoop({
      outbox: outboxPort(pool, sql),
      pubsub: topicPort(topic),
      leases,
      marks,
      metrics,
      tracer,
      logger,
      topicName: settings.topic,
      batchSize: settings.batchSize,
      maxInFlight: settings.maxInFlight,
      pollIntervalMs: settings.pollIntervalMs,
      lingerMs: settings.lingerMs,
      idleAfterMs: settings.idleAfterMs,
      ...(waiting ? { waiting } : {}),
      listening: () => listener.connected,
      publishTimeoutMs: settings.publishTimeoutMs,
      maxAttempts: settings.maxAttempts,
      backoff,
      ...(options.onPublished ? { onPublished: options.onPublished } : {}),
      ...(options.onDead ? { onDead: options.onDead } : {}),
    });
    return new Runtime({
      pool,
      pubsub,
      ownsPubSub,
      leases,
      marks,
      loop,
      listener,
      sql,
      settings,
      metrics,
      logger,
      backoff,
    });
  };

  const health = (): HealthReport => {
    const details: Record<string, unknown> = { replica: settings.replicaId, state };
    if (fatal) details.error = fatal;
    if (!runtime) return { healthy: fatal === undefined && state !== 'stopped', ready: false, details };
    const report = runtime.report();
    return {
      healthy: fatal === undefined && state !== 'stopped',
      ready: state === 'running' && report.ready,
      details: { ...details, ...report.details },
    };
  };

  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  const startServer = async () => {
    if (!options.http) return;
    server = await startHttpServer({
      port: options.http.port,
      host: options.http.host ?? RELAY_DEFAULTS.httpHost,
      registry: metrics.registry,
      health,
    });
    httpPort = server.port;
  };

  const relay: Relay = {
    replicaId: settings.replicaId,
    metrics: metrics.registry,
    get httpPort() {
      return httpPort;
    },
    health,

    async start() {
      if (state !== 'new')
        throw new RelayStateError(`start() called on a relay that is ${state}; create a new relay`);
      state = 'running';
      starting = (async () => {
        try {
          runtime = await boot('share');
          await startServer();
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
          { topic: settings.topic, schema, httpPort, leaseTtlMs: settings.leaseTtlMs },
          'relay started',
        );
        runtime.start('share', (error) => {
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
      let remaining: readonly RemainingPartition[] = [];
      try {
        starting = (async () => {
          runtime = await boot('all');
          await startServer();
        })();
        await starting;
        // A stop() during the boot means: publish nothing.
        if (stillRunning() && runtime) {
          logger.info({ topic: settings.topic, schema }, 'relay publishing the backlog once');
          remaining = await runtime.runToCompletion(settings.onceTimeoutMs);
        }
      } finally {
        // stop() may have been called meanwhile (SIGTERM): it and this share one shutdown.
        await relay.stop();
      }
      const result: RunOnceResult = {
        published: (await metricValue(metrics, 'published')) - before,
        dead: (await metricValue(metrics, 'parkedDead')) - deadBefore,
        complete: remaining.length === 0,
        remaining,
      };
      if (result.complete)
        logger.info({ published: result.published, dead: result.dead }, 'backlog published');
      else logger.error({ ...result, remaining }, 'backlog not drained within the once timeout');
      return result;
    },
  };
  return relay;
}

interface RuntimeParts {
  readonly pool: pg.Pool;
  readonly pubsub: PubSub;
  readonly ownsPubSub: boolean;
  readonly leases: LeaseKeeper;
  readonly marks: MarkQueue;
  readonly loop: PublishLoop;
  readonly listener: WakeListener;
  readonly sql: RelaySql;
  readonly settings: Settings;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
}

/** How long past the shutdown deadline closing a connection may take before it is left to the exit. */
const CLOSE_GRACE_MS = 1_000;

/** The running parts of a started relay and the timers that drive them. */
class Runtime {
  private readonly timers: NodeJS.Timeout[] = [];
  private leaseTimer: NodeJS.Timeout | undefined;
  private leaseFailures = 0;
  private leaseError: string | undefined;
  private leaseTicking: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private stopped = false;
  private stopping: Promise<StopResult> | undefined;
  private retentionRunning = false;

  constructor(private readonly parts: RuntimeParts) {}

  start(mode: 'share' | 'all', onFatal: (error: unknown) => void): void {
    const { listener, loop, settings } = this.parts;
    listener.start();
    if (mode === 'share') {
      this.scheduleLeaseTick(0);
      this.loopDone = loop.run().catch(onFatal);
    }
    this.timers.push(
      setInterval(() => {
        void this.measureBacklog();
      }, settings.statsIntervalMs),
      setInterval(() => {
        void this.runRetention();
      }, settings.retentionIntervalMs),
    );
    void this.measureBacklog();
  }

  /**
   * Publishes the backlog up to the newest event now, taking over every lease that is free or
   * expires meanwhile, until the backlog is drained (by this run or another replica) or
   * `timeoutMs` passes. Returns what is left (nothing when drained).
   */
  async runToCompletion(timeoutMs: number): Promise<readonly RemainingPartition[]> {
    // The first lease tick decides which partitions this run may publish; it schedules the next.
    // Tracked like every tick, so a stop() meanwhile waits for it before releasing the leases.
    this.leaseTicking = this.leaseTick().finally(() => {
      this.leaseTicking = undefined;
    });
    await this.leaseTicking;
    this.start('all', () => undefined);
    let remaining: readonly RemainingPartition[] | undefined;
    const drained = await within(
      this.parts.loop.run({
        onRemaining: (left) => {
          remaining = left;
        },
      }),
      timeoutMs,
    );
    if (drained) return [];
    this.parts.loop.stop();
    // Never checked (the database was down throughout): say so rather than claim nothing is left.
    return remaining ?? [{ lease_partition: -1, pending: 'unknown', owner: null, expires_at: null }];
  }

  stop(timeoutMs: number): Promise<StopResult> {
    this.stopping ??= this.shutdown(timeoutMs);
    return this.stopping;
  }

  private async shutdown(timeoutMs: number): Promise<StopResult> {
    const { loop, leases, marks, listener, pool, pubsub, ownsPubSub, logger } = this.parts;
    this.stopped = true;
    loop.stop();
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.leaseTimer);
    // One deadline for every wait: a database or Pub/Sub that hangs must not hold the exit past it
    // (an orchestrator kills the process soon after; Cloud Run allows 10 s).
    const deadline = performance.now() + timeoutMs;
    const left = () => Math.max(0, deadline - performance.now());

    const drained =
      (await within(this.loopDone ?? Promise.resolve(), left())) && (await within(loop.drained(), left()));
    if (!drained) {
      logger.warn(
        { inFlight: loop.eventsInFlight, timeoutMs },
        'shutdown timeout: leaving undrained partitions to expire; their unrecorded events will be published again',
      );
      marks.abandon();
    }
    await within(this.leaseTicking ?? Promise.resolve(), left());
    // Releasing hands the partitions over at once instead of after the lease TTL: worth a moment
    // past the deadline, but no more.
    const releasing = leases
      .releaseAll((partition) => loop.isDrained(partition))
      .then(
        (released) => {
          logger.info({ released: released.length }, 'leases released');
        },
        (error: unknown) => {
          logger.warn({ err: error }, 'could not release leases; they expire after the lease TTL');
        },
      );
    if (!(await within(releasing, left() + CLOSE_GRACE_MS))) {
      logger.warn('releasing the leases took too long; they expire after the lease TTL');
    }
    await listener.stop();
    // No topic.flush(): it would send a key's queued batch while another of its batches is still in
    // flight. Drained, nothing is queued; undrained, what is queued is published again by the next
    // owner of the partition.
    if (ownsPubSub)
      await within(
        pubsub.close().catch(() => undefined),
        CLOSE_GRACE_MS,
      );
    // Ends idle connections; one stuck in a hung query is left to the process exit.
    await within(
      pool.end().catch(() => undefined),
      CLOSE_GRACE_MS,
    );
    return { drained };
  }

  report(): { ready: boolean; details: Record<string, unknown> } {
    const { leases, loop, listener, settings } = this.parts;
    const last = leases.lastSuccessAt;
    const databaseOk = last !== undefined && performance.now() - last < settings.leaseTtlMs;
    return {
      ready: databaseOk && !loop.pubsubFailing,
      details: {
        database: databaseOk ? 'ok' : 'unreachable or not yet registered',
        pubsub: loop.pubsubFailing ? 'failing' : 'ok',
        leasesHeld: leases.heldCount,
        inFlight: loop.eventsInFlight,
        wakeListener: listener.connected ? 'connected' : 'polling',
        waitingForWakeUp: loop.waitingForWakeUp,
        ...(loop.lastFailure ? { lastError: loop.lastFailure } : {}),
        ...(this.leaseError ? { leaseError: this.leaseError } : {}),
      },
    };
  }

  private scheduleLeaseTick(delayMs: number): void {
    if (this.stopped) return;
    this.leaseTimer = setTimeout(() => {
      this.leaseTicking = this.leaseTick().finally(() => {
        this.leaseTicking = undefined;
      });
    }, delayMs);
  }

  private async leaseTick(): Promise<void> {
    const { leases, loop, metrics, logger, settings, backoff } = this.parts;
    clearTimeout(this.leaseTimer);
    let next = settings.heartbeatIntervalMs;
    try {
      const publishableBefore = leases.publishable(settings.publishTimeoutMs).length;
      const tick = await leases.tick((partition) => loop.isDrained(partition));
      if (this.leaseFailures > 0) logger.info('lease heartbeat succeeded again');
      this.leaseFailures = 0;
      this.leaseError = undefined;
      metrics.leasesHeld.set(leases.heldCount);
      loop.leasesChanged([...tick.acquired, ...tick.released, ...tick.lost]);
      // Renewed in time again after a slow heartbeat: the loop may be waiting for partitions.
      if (leases.publishable(settings.publishTimeoutMs).length !== publishableBefore) loop.notify();
    } catch (error) {
      this.leaseFailures += 1;
      this.leaseError = describeFailure(error);
      next = Math.min(next, backoffDelay(this.leaseFailures, backoff));
      const level =
        error instanceof ReplicaIdInUseError || leases.lapsing(settings.publishTimeoutMs) ? 'error' : 'warn';
      logger[level](
        { err: error, failures: this.leaseFailures },
        'lease heartbeat failed; publishing stops before the leases can lapse',
      );
    }
    this.scheduleLeaseTick(next);
  }

  private async measureBacklog(): Promise<void> {
    const { pool, sql, metrics } = this.parts;
    try {
      const row = (
        await pool.query<{ pending: string; oldest_pending_seconds: string | null; dead: string }>(
          sql.backlogStats,
          [1_000_000],
        )
      ).rows[0];
      if (!row) return;
      metrics.backlog.set(Number(row.pending));
      metrics.oldestPendingSeconds.set(Math.max(0, Number(row.oldest_pending_seconds ?? 0)));
      metrics.dead.set(Number(row.dead));
    } catch {
      // The heartbeat reports database trouble; the gauges keep their last values.
    }
  }

  /** Retention runs on the replica holding lease partition 0, so one replica deletes at a time. */
  private async runRetention(): Promise<void> {
    const { pool, sql, metrics, logger, settings, leases } = this.parts;
    if (this.retentionRunning || !leases.publishable(0).includes(0)) return;
    this.retentionRunning = true;
    try {
      const deleted = await deletePublishedEvents(pool, sql.deletePublished, {
        retentionMs: settings.retentionMs,
        batchSize: settings.retentionBatchSize,
        shouldStop: () => this.stopped,
      });
      metrics.deleted.inc(deleted);
      if (deleted > 0) logger.info({ deleted }, 'deleted published events past retention');
    } catch (error) {
      logger.warn({ err: error }, 'retention failed; it runs again next interval');
    } finally {
      this.retentionRunning = false;
    }
  }
}

async function checkSchema(pool: pg.Pool, schema: string): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const status = await schemaStatus(db, { schema });
  if (status.version === 0) {
    throw new RelaySchemaError(
      `schema ${schema} has no outbox: run \`rims-relay migrate\` (or migrate() from @rims/outbox) as the schema owner first`,
    );
  }
  if (status.pending.length > 0) {
    throw new RelaySchemaError(
      `schema ${schema} lacks migration(s) ${status.pending.join(', ')} that this relay needs: run \`rims-relay migrate\` (or migrate() from @rims/outbox) as the schema owner`,
    );
  }
}

async function metricValue(metrics: RelayMetrics, name: 'published' | 'parkedDead'): Promise<number> {
  const value = await metrics[name].get();
  return value.values[0]?.value ?? 0;
}

function resolveSettings(options: RelayOptions): Settings {
  const settings: Settings = {
    databaseUrl: options.databaseUrl ?? RELAY_DEFAULTS.databaseUrl,
    projectId: options.projectId ?? RELAY_DEFAULTS.projectId,
    topic: options.topic ?? RELAY_DEFAULTS.topic,
    schema: options.schema ?? RELAY_DEFAULTS.schema,
    batchSize: options.batchSize ?? RELAY_DEFAULTS.batchSize,
    maxInFlight: options.maxInFlight ?? RELAY_DEFAULTS.maxInFlight,
    pollIntervalMs: options.pollIntervalMs ?? RELAY_DEFAULTS.pollIntervalMs,
    lingerMs: options.lingerMs ?? RELAY_DEFAULTS.lingerMs,
    idleAfterMs: options.idleAfterMs ?? RELAY_DEFAULTS.idleAfterMs,
    leaseTtlMs: options.leaseTtlMs ?? RELAY_DEFAULTS.leaseTtlMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? RELAY_DEFAULTS.heartbeatIntervalMs,
    publishTimeoutMs: options.publishTimeoutMs ?? RELAY_DEFAULTS.publishTimeoutMs,
    maxAttempts: options.maxAttempts ?? RELAY_DEFAULTS.maxAttempts,
    backoffInitialMs: options.backoffInitialMs ?? RELAY_DEFAULTS.backoffInitialMs,
    backoffMaxMs: options.backoffMaxMs ?? RELAY_DEFAULTS.backoffMaxMs,
    retentionMs: options.retentionMs ?? RELAY_DEFAULTS.retentionMs,
    retentionIntervalMs: options.retentionIntervalMs ?? RELAY_DEFAULTS.retentionIntervalMs,
    retentionBatchSize: options.retentionBatchSize ?? RELAY_DEFAULTS.retentionBatchSize,
    statsIntervalMs: options.statsIntervalMs ?? RELAY_DEFAULTS.statsIntervalMs,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? RELAY_DEFAULTS.shutdownTimeoutMs,
    onceTimeoutMs: options.onceTimeoutMs ?? RELAY_DEFAULTS.onceTimeoutMs,
    replicaId: options.replicaId ?? `${hostname()}-${String(process.pid)}-${randomBytes(3).toString('hex')}`,
    processMetrics: options.processMetrics ?? false,
  };
  const positive = [
    'batchSize',
    'maxInFlight',
    'pollIntervalMs',
    'lingerMs',
    'leaseTtlMs',
    'heartbeatIntervalMs',
    'publishTimeoutMs',
    'maxAttempts',
    'backoffInitialMs',
    'backoffMaxMs',
    'retentionMs',
    'retentionIntervalMs',
    'retentionBatchSize',
    'statsIntervalMs',
    'shutdownTimeoutMs',
    'onceTimeoutMs',
  ] as const;
  for (const key of positive) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RelayConfigError(`${key} ${String(value)} is not a positive whole number`);
    }
  }
  if (!Number.isInteger(settings.idleAfterMs) || settings.idleAfterMs < 0) {
    throw new RelayConfigError(
      `idleAfterMs ${String(settings.idleAfterMs)} is not a whole number of 0 or more`,
    );
  }
  if (settings.heartbeatIntervalMs + settings.publishTimeoutMs >= settings.leaseTtlMs) {
    throw new RelayConfigError(
      `leaseTtlMs (${String(settings.leaseTtlMs)}) must exceed heartbeatIntervalMs + publishTimeoutMs (${String(settings.heartbeatIntervalMs + settings.publishTimeoutMs)}): a replica publishes only while its lease outlives a publish started now`,
    );
  }
  if (settings.maxInFlight < settings.batchSize) {
    throw new RelayConfigError(
      `maxInFlight (${String(settings.maxInFlight)}) must be at least batchSize (${String(settings.batchSize)})`,
    );
  }
  if (settings.replicaId.length === 0 || settings.replicaId.length > 200) {
    throw new RelayConfigError('replicaId must be 1 to 200 characters');
  }
  return settings;
}
