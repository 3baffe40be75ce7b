/**
 * The pipeline end to end under faults: a randomised workload (seeded; the seed is printed) over
 * thousands of items, while relays and the lander are SIGKILLed and restarted at random moments and
 * the Pub/Sub emulator is restarted once. At the end the warehouse state must equal PostgreSQL.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PubSub } from '@google-cloud/pubsub';
import { Kysely, PostgresDialect, sql } from 'kysely';
import {
  InventoryService,
  createInventorySchema,
  describeReconciliation,
  postgresTruth,
  reconcile,
  runTraffic,
  seedItems,
  seededRandom,
  warehouseState,
  type InventoryDatabase,
  type Reconciliation,
} from '@rims/demo';
import {
  createLander,
  openWarehouse,
  provisionPubSub,
  provisionWarehouse,
  runAudit,
  runMerge,
  type AuditReport,
  type Warehouse,
} from '@rims/merger';
import { createOutbox } from '@rims/outbox';
import {
  createDatabase,
  dropDatabase,
  droppablePool,
  emulatorClientConfig,
  makeScratchDirectory,
  spawnNode,
  startPubSubEmulator,
  uniqueDatabaseName,
  waitFor,
  withDatabase,
  type ManagedPubSubEmulator,
  type NodeProcess,
} from '@rims/test-harness';

const RELAY_BIN = fileURLToPath(new URL('../../packages/relay/dist/bin.js', import.meta.url));
const MERGER_BIN = fileURLToPath(new URL('../../packages/merger/dist/bin.js', import.meta.url));
/** The relays' publish deadline (the default). */
const RELAY_PUBLISH_TIMEOUT_MS = 4_000;

/** Settings of one scenario. */
export interface FaultScenarioOptions {
  /** Maintenance URL of the PostgreSQL server and the migrated template to copy. */
  readonly postgresUrl: string;
  readonly templateDatabase: string;
  readonly seed: number;
  readonly items: number;
  readonly relayReplicas: number;
  readonly eventsPerSecond: number;
  readonly trafficMs: number;
  /** Printed as the scenario goes. */
  readonly log: (line: string) => void;
}

/** What a scenario measured. */
export interface FaultScenarioResult {
  readonly written: number;
  readonly published: number;
  readonly merged: number;
  readonly relayKills: number;
  readonly landerKills: number;
  readonly emulatorRestarts: number;
  readonly reconciliation: Reconciliation;
  readonly audit: AuditReport;
}

/** Runs the scenario and returns what it measured; throws with the children's output when it cannot finish. */
export async function runFaultScenario(options: FaultScenarioOptions): Promise<FaultScenarioResult> {
  const began = Date.now();
  const log = (line: string) => {
    options.log(`${((Date.now() - began) / 1000).toFixed(1).padStart(5)}s ${line}`);
  };
  const random = seededRandom(options.seed ^ 0x5eed);
  const database = uniqueDatabaseName('e2e');
  await createDatabase(options.postgresUrl, database, options.templateDatabase);
  const databaseUrl = withDatabase(options.postgresUrl, database);
  const db = new Kysely<InventoryDatabase>({
    // Dropped at the end while its connections may still be closing: see droppablePool.
    dialect: new PostgresDialect({ pool: droppablePool(databaseUrl, 12) }),
  });
  const dir = makeScratchDirectory('e2e');
  const warehouseUrl = `duckdb://${join(dir, 'warehouse.duckdb')}`;
  let emulator: ManagedPubSubEmulator | undefined;
  const children = new Set<NodeProcess>();
  const startedAt = new Date();

  try {
    await createInventorySchema(db);
    const itemIds = await seedItems(db, options.items);
    const inventory = new InventoryService(db, createOutbox({ source: '//rims/e2e' }));
    emulator = await startPubSubEmulator();
    const pubsubEnv = { PUBSUB_EMULATOR_HOST: emulator.host, PUBSUB_PROJECT_ID: emulator.projectId };
    const provisionTopics = async () => {
      if (!emulator) return;
      const pubsub = new PubSub(emulatorClientConfig(emulator.host, emulator.projectId));
      try {
        await provisionPubSub(pubsub, { kind: 'pull' });
      } finally {
        await pubsub.close();
      }
    };
    const warehouse = await openWarehouse(warehouseUrl);
    await provisionWarehouse(warehouse);
    await warehouse.close();
    await provisionTopics();

    // Short leases and backoffs, so that takeovers and recoveries fit in a test.
    const relayEnv = {
      ...pubsubEnv,
      DATABASE_URL: databaseUrl,
      RELAY_HTTP_PORT: '0',
      RELAY_HTTP_HOST: '127.0.0.1',
      RELAY_LEASE_TTL: '6s',
      RELAY_HEARTBEAT_INTERVAL: '500ms',
      // Item events only: the counts below compare written, published and merged item events
      // (heartbeats are never merged into item_events; they have tests of their own).
      RELAY_HEARTBEAT_EVENT_INTERVAL: '0',
      // The default. With 2 s, one heavily loaded run published nothing for two minutes after the
      // emulator restart, its last errors being deadlines exceeded after 2.7 s.
      RELAY_PUBLISH_TIMEOUT: `${String(RELAY_PUBLISH_TIMEOUT_MS)}ms`,
      RELAY_BACKOFF_MAX: '1s',
      LOG_LEVEL: 'warn',
    };
    const landerEnv = {
      ...pubsubEnv,
      WAREHOUSE_URL: warehouseUrl,
      MERGER_LEASE_TTL: '5s',
      LOG_LEVEL: 'warn',
    };
    const startRelay = () => track(spawnNode(RELAY_BIN, [], relayEnv));
    const startLander = () =>
      track(spawnNode(MERGER_BIN, ['run', '--every', '1s', '--land', '--lookback', '1h'], landerEnv));
    const track = (child: NodeProcess) => {
      children.add(child);
      void child.exited.then(() => children.delete(child));
      return child;
    };

    const relays = Array.from({ length: options.relayReplicas }, startRelay);
    let lander = startLander();
    /** Relay and lander kills every run makes, at the least. */
    const MIN_KILLS = 3;
    let relayKills = 0;
    let landerKills = 0;
    let emulatorRestarts = 0;

    // Chaos, on the seeded schedule: kill and restart a relay or the lander every 2 to 6 seconds;
    // restart the emulator once, about half way through.
    const stopChaos = new AbortController();
    const managed = emulator;
    // A function, not the property: the flag changes while the loop awaits.
    const chaosStopped = () => stopChaos.signal.aborted;
    let chaosFailed = false;
    const chaos = (async () => {
      // Relay and lander take turns, from a seeded first pick, so each is killed at least once.
      let relayTurn = random() < 0.5;
      const restartEmulatorAt = Date.now() + options.trafficMs * (0.4 + 0.2 * random());
      while (!stopChaos.signal.aborted) {
        await sleep(2_000 + 4_000 * random(), undefined, { signal: stopChaos.signal }).catch(() => undefined);
        if (chaosStopped()) break;
        if (emulatorRestarts === 0 && Date.now() >= restartEmulatorAt) {
          log(`chaos: restarting the Pub/Sub emulator (its topics and undelivered messages are lost)`);
          await managed.stop();
          await managed.start();
          await provisionTopics();
          // What the emulator held is gone: re-publish from the outbox, as an operator would after
          // losing a subscription. Duplicates are harmless (the merge deduplicates by event id).
          // First wait out the publishes in flight: one the re-created topic accepted before its
          // subscription existed is lost, and is recorded published only when its answer arrives,
          // up to the publish deadline and a quarter later; replayed at once, it fell after the
          // replay's window (9 events in one run) and never landed. packages/relay/README.md (Replay).
          await sleep(RELAY_PUBLISH_TIMEOUT_MS * 1.25 + 1_000);
          const replay = spawnNode(RELAY_BIN, ['replay', '--since', startedAt.toISOString()], relayEnv);
          const { code } = await replay.exited;
          if (code !== 0)
            throw new Error(`rims-relay replay exited with ${String(code)}:\n${replay.output()}`);
          log(
            `chaos: emulator restarted, topics re-provisioned; replay: ${
              replay
                .output()
                .split('\n')
                .find((line) => line.startsWith('put ')) ?? replay.output()
            }`,
          );
          emulatorRestarts += 1;
          continue;
        }
        relayTurn = !relayTurn;
        if (relayTurn) {
          const index = Math.floor(random() * relays.length);
          const victim = relays[index];
          if (!victim) continue;
          victim.child.kill('SIGKILL');
          await victim.exited;
          relayKills += 1;
          await sleep(200 + 1_500 * random());
          relays[index] = startRelay();
          log(`chaos: SIGKILLed relay ${String(index)} and started it again`);
        } else {
          lander.child.kill('SIGKILL');
          await lander.exited;
          landerKills += 1;
          await sleep(200 + 1_500 * random());
          lander = startLander();
          log('chaos: SIGKILLed the lander and started it again');
        }
      }
    })().catch((error: unknown) => {
      chaosFailed = true;
      throw error;
    });
    // Awaited after the traffic; meanwhile a failure must not count as unhandled.
    chaos.catch(() => undefined);

    const stats = await runTraffic(inventory, {
      items: itemIds,
      seed: options.seed,
      eventsPerSecond: options.eventsPerSecond,
      durationMs: options.trafficMs,
    });
    // On a slow machine the emulator restart can take a third of the traffic window: keep killing
    // until at least three relay or lander kills happened, so every run exercises as much recovery
    // (a kill after the traffic still leaves a backlog to recover).
    await waitFor(() => relayKills + landerKills >= MIN_KILLS || chaosFailed, {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: `${String(MIN_KILLS)} relay or lander kills`,
    });
    stopChaos.abort();
    await chaos;
    log(`traffic done: ${String(stats.applied)} changes (${JSON.stringify(stats.byType)})`);

    // Every written event gets published (the relays are all running again) ...
    await waitFor(async () => (await countEvents(db, sql`published_at IS NULL AND dead_at IS NULL`)) === 0, {
      timeoutMs: 120_000,
      intervalMs: 250,
      description: () => `the relays to publish every event\n${relays.map((r) => r.output()).join('\n')}`,
    });
    expectNoDeadEvents(await countEvents(db, sql`dead_at IS NOT NULL`));
    log('every event is published');
    await Promise.all(relays.map((relay) => relay.stop()));
    // ... then the lander stops, and one last land and merge in this process takes what is left.
    await lander.stop();
    log('lander stopped');

    const finalWarehouse = await openWarehouse(warehouseUrl);
    const pubsub = new PubSub(emulatorClientConfig(emulator.host, emulator.projectId));
    try {
      // Messages a SIGKILLed lander had pulled come back only when their ack deadline passes (at
      // least once): keep landing until every written event is in raw.
      const written = await sumSequences(db);
      const finalLander = createLander({ warehouse: finalWarehouse, pubsub });
      await waitFor(
        async () => {
          await finalLander.drain();
          const { rows } = await finalWarehouse.query(
            'SELECT count(DISTINCT id) AS n FROM rims_raw.item_events',
          );
          return Number(rows[0]?.n ?? 0) >= written;
        },
        { timeoutMs: 150_000, intervalMs: 1_000, description: `all ${String(written)} events to land` },
      ).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\n${await describeMissing(db, finalWarehouse, pubsub, startedAt)}`);
      });
      log('every event has landed');
      await runMerge(finalWarehouse, { lookbackMs: 3_600_000 });
      const audit = await runAudit(finalWarehouse, { lookbackMs: 3_600_000 });
      const reconciliation = reconcile(await postgresTruth(db), await warehouseState(finalWarehouse));
      const mergedRows = await finalWarehouse.query('SELECT count(*) AS n FROM rims_core.item_events');
      const result: FaultScenarioResult = {
        written,
        published: await countEvents(db, sql`published_at IS NOT NULL`),
        merged: Number(mergedRows.rows[0]?.n ?? 0),
        relayKills,
        landerKills,
        emulatorRestarts,
        reconciliation,
        audit,
      };
      log(
        `seed ${String(options.seed)}, ${String(options.relayReplicas)} relay(s): written ${String(result.written)}, published ${String(result.published)}, merged ${String(result.merged)}; ` +
          `${String(relayKills)} relay kills, ${String(landerKills)} lander kills, ${String(emulatorRestarts)} emulator restart; audit ${audit.clean ? 'clean' : 'NOT clean'}; ${describeReconciliation(reconciliation)}`,
      );
      return result;
    } finally {
      await pubsub.close();
      await finalWarehouse.close();
    }
  } finally {
    for (const child of children) child.child.kill('SIGKILL');
    await db.destroy();
    await dropDatabase(options.postgresUrl, database);
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function countEvents(db: Kysely<InventoryDatabase>, where: ReturnType<typeof sql>): Promise<number> {
  const result = await sql<{
    n: string;
  }>`SELECT count(*) AS n FROM rims_outbox.events WHERE ${where}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** Events written: the per-item sequence counters add up to every event ever enqueued. */
async function sumSequences(db: Kysely<InventoryDatabase>): Promise<number> {
  const result = await sql<{
    n: string | null;
  }>`SELECT sum(last_sequence) AS n FROM rims_outbox.subject_sequences`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * Which written events never landed, with when the relays recorded them published (seconds after
 * the scenario started, to set beside the chaos log): a failed run's first clue.
 */
async function describeMissing(
  db: Kysely<InventoryDatabase>,
  warehouse: Warehouse,
  pubsub: PubSub,
  startedAt: Date,
): Promise<string> {
  // What the dead-letter subscription holds (read, not acknowledged, for 3 s).
  const deadLettered = new Set<string>();
  const deadLetters = pubsub.subscription('rims-item-events-dead-letter');
  deadLetters.on('message', (message: { attributes: Record<string, string> }) => {
    deadLettered.add(message.attributes['ce-id'] ?? '');
  });
  deadLetters.on('error', () => undefined);
  await sleep(3_000);
  await deadLetters.close();
  const landed = new Set(
    (await warehouse.query('SELECT DISTINCT id FROM rims_raw.item_events')).rows.map((row) => String(row.id)),
  );
  const events = await sql<{ id: string; subject: string; sequence: string; published_at: Date | null }>`
    SELECT id, subject, sequence, published_at FROM rims_outbox.events ORDER BY published_at`.execute(db);
  const missing = events.rows.filter((event) => !landed.has(event.id));
  const at = (time: Date | null) =>
    time === null ? 'never' : `${((time.getTime() - startedAt.getTime()) / 1000).toFixed(1)}s`;
  return [
    `${String(missing.length)} of ${String(events.rows.length)} events never landed, ${String(
      missing.filter((event) => deadLettered.has(event.id)).length,
    )} of them in the dead-letter subscription (${String(deadLettered.size)} there); recorded published at:`,
    ...missing
      .slice(0, 20)
      .map((event) => `  ${at(event.published_at)} ${event.subject} #${event.sequence} ${event.id}`),
  ].join('\n');
}

function expectNoDeadEvents(dead: number): void {
  if (dead > 0) throw new Error(`${String(dead)} events were parked as dead; valid events must never be`);
}
