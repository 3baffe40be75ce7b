import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub, waitFor } from '@rims/test-harness/vitest';
import { RELAY_DEFAULTS } from '../src/index.js';
import {
  RELAY_BIN,
  countEvents,
  distinctIds,
  enqueueRoundRobin,
  killAfterAll,
  relayEnv,
  uniqueOrderedTopic,
  outOfOrder,
  spawnRelay,
} from './helpers.js';

const database = useTestDatabase({ label: 'relay_cli' });
const fresh = useTestDatabase({ label: 'relay_cli_fresh', migrated: false });
const pubsub = useTestPubSub();

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [RELAY_BIN, ...args], {
    env: Object.fromEntries(
      Object.entries({
        PATH: process.env.PATH ?? '',
        METADATA_SERVER_DETECTION: 'none',
        RELAY_HTTP_PORT: '0',
        ...env,
      }).filter(([, value]) => value !== ''),
    ),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** The environment of a `--once` run on this file's database and emulator. */
function onceEnv(topic: string): Record<string, string> {
  return { ...relayEnv(database.url, pubsub, topic), LOG_LEVEL: 'info' };
}

describe('rims-relay', () => {
  const relays = killAfterAll();

  it('--once publishes everything pending, then exits 0', async () => {
    const db = database.kysely<unknown>();
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'once');
    const total = await enqueueRoundRobin(db, ['item-o-1', 'item-o-2', 'item-o-3'], 100);
    const result = run(['--once', '--pubsub-topic', topic], {
      ...relayEnv(database.url, pubsub, topic),
      PUBSUB_TOPIC: 'overridden-by-the-flag',
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('"published":300');
    expect(await countEvents(db, 'pending')).toBe(0);
    await waitFor(() => distinctIds(received).size === total, { timeoutMs: 20_000, description: 'all 300' });
    expect(outOfOrder(received, 100)).toEqual([]);
    await close();
  });

  it('--once serves no HTTP unless asked, so it runs while the default port is taken', async () => {
    const db = database.kysely<unknown>();
    const topic = pubsub.uniqueName('once-port');
    await pubsub.client().createTopic(topic);
    await enqueueRoundRobin(db, ['item-port'], 3);
    const taken = createServer();
    await new Promise<void>((resolve) => {
      // Taken by us, or already by something else: either way the relay must not need it.
      taken.once('error', () => {
        resolve();
      });
      taken.listen(RELAY_DEFAULTS.httpPort, '0.0.0.0', resolve);
    });
    try {
      // An empty value leaves the variable out: no port given.
      const result = run(['--once'], { ...onceEnv(topic), RELAY_HTTP_PORT: '' });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).not.toContain('httpPort');
    } finally {
      taken.close();
    }
  });

  it("--once after a crash waits for the dead replica's leases, takes them over and drains", async () => {
    const db = database.kysely<unknown>();
    const topic = pubsub.uniqueName('once-crash');
    await pubsub.client().createTopic(topic);
    const env = {
      ...onceEnv(topic),
      RELAY_HEARTBEAT_INTERVAL: '300ms',
      RELAY_LEASE_TTL: '3s',
      RELAY_PUBLISH_TIMEOUT: '2s',
    };
    const crashed = spawnRelay([], { ...env, RELAY_REPLICA_ID: 'crashed' });
    relays.push(crashed);
    await waitFor(
      async () => {
        const held = await sql<{ n: string }>`
          SELECT count(*) AS n FROM rims_outbox.relay_leases WHERE owner = 'crashed'`.execute(db);
        return Number(held.rows[0]?.n) === 64;
      },
      {
        timeoutMs: 20_000,
        description: () => `the relay to hold every lease (${crashed.output().slice(-1_000)})`,
      },
    );
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    await enqueueRoundRobin(db, ['item-c-1', 'item-c-2'], 50);
    const started = Date.now();
    const result = run(['--once'], env);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(await countEvents(db, 'pending')).toBe(0);
    // It had to wait for the leases to expire: not done at once.
    expect(Date.now() - started).toBeGreaterThan(1_000);
  });

  it('--once exits 3 naming what is left when it cannot finish within --once-timeout', async () => {
    const db = database.kysely<unknown>();
    const topic = pubsub.uniqueName('once-stuck');
    await pubsub.client().createTopic(topic);
    await enqueueRoundRobin(db, ['item-stuck'], 2);
    // Another replica holds every lease for an hour and publishes nothing.
    await sql`UPDATE rims_outbox.relay_leases SET owner = 'elsewhere', expires_at = now() + interval '1 hour'`.execute(
      db,
    );
    try {
      const result = run(['--once', '--once-timeout', '2s'], onceEnv(topic));
      expect(result.status, result.stdout + result.stderr).toBe(3);
      expect(result.stderr).toMatch(/--once gave up after 2000 ms/);
      expect(result.stderr).toMatch(/partition \d+: 2 event\(s\) pending, lease held by elsewhere until/);
      // Stopped by a signal before it drained: not done either.
      const stopped = spawnRelay(['--once', '--once-timeout', '60s'], {
        ...onceEnv(topic),
        RELAY_HTTP_PORT: '',
      });
      relays.push(stopped);
      await waitFor(() => stopped.output().includes('relay publishing the backlog once'), {
        description: () => `--once to start (${stopped.output().slice(-1_000)})`,
      });
      const exit = await stopped.stop('SIGTERM');
      expect(exit.code, stopped.output().slice(-2_000)).toBe(3);
      expect(stopped.output()).toMatch(/--once was stopped by a signal before the backlog was drained/);
    } finally {
      await sql`UPDATE rims_outbox.relay_leases SET owner = NULL, expires_at = NULL`.execute(db);
      await sql`UPDATE rims_outbox.events SET published_at = now() WHERE subject = 'item-stuck'`.execute(db);
    }
  });

  it('--once names what is left at the timeout in the partitions it holds itself', async () => {
    const db = database.kysely<unknown>();
    // A topic that does not exist: every publish fails, and this run holds every lease.
    const topic = pubsub.uniqueName('once-no-topic');
    await enqueueRoundRobin(db, ['item-own'], 2);
    try {
      const result = run(['--once', '--once-timeout', '3s'], {
        ...onceEnv(topic),
        RELAY_REPLICA_ID: 'once-self',
      });
      expect(result.status, result.stdout + result.stderr).toBe(3);
      expect(result.stderr).toMatch(/--once gave up after 3000 ms; left:\n/);
      expect(result.stderr).toMatch(/partition \d+: 2 event\(s\) pending, lease held by once-self until/);
      expect(result.stderr).not.toContain('could not be reached');
    } finally {
      await sql`UPDATE rims_outbox.events SET published_at = now() WHERE subject = 'item-own'`.execute(db);
    }
  });

  it('serves /healthz, /readyz and /metrics, and exits 0 on SIGTERM', async () => {
    const topic = pubsub.uniqueName('http');
    await pubsub.client().createTopic(topic);
    const relay = spawnRelay([], relayEnv(database.url, pubsub, topic));
    relays.push(relay);
    const base = `http://127.0.0.1:${String(await relay.httpPort())}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    const ready = await waitFor(
      async () => {
        const response = await fetch(`${base}/readyz`);
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      },
      { timeoutMs: 10_000, description: 'readiness' },
    );
    expect(ready).toMatchObject({ status: 'ok', database: 'ok', pubsub: 'ok', wakeListener: 'connected' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'rims_relay_backlog_events',
      'rims_relay_oldest_pending_age_seconds',
      'rims_relay_events_published_total',
      'rims_relay_publish_duration_seconds_bucket',
      'rims_relay_dead_events',
      'rims_relay_outbox_live_rows',
      'rims_relay_outbox_dead_rows',
      'rims_relay_outbox_table_bytes',
      'rims_relay_publish_retries_total',
      'rims_relay_leases_held',
      'process_cpu_user_seconds_total',
    ]) {
      expect(metrics, name).toContain(name);
    }
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    // JSON logs, one object per line.
    const lines = relay.output().trim().split('\n');
    expect(lines.every((line) => typeof (JSON.parse(line) as { msg: string }).msg === 'string')).toBe(true);

    relay.child.kill('SIGTERM');
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    expect(relay.output()).toContain('relay stopped');
    // Every line names the replica, the binary's own lines (the stop signal's) too.
    const all = relay
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; replica?: string });
    expect(all.find((line) => line.msg === 'stop signal received; draining')).toBeDefined();
    expect(all.filter((line) => typeof line.replica !== 'string').map((line) => line.msg)).toEqual([]);
  });

  it('on SIGTERM mid-stream drains, releases its leases and exits 0 within the shutdown timeout', async () => {
    const db = database.kysely<unknown>();
    await sql`TRUNCATE rims_outbox.events, rims_outbox.subject_sequences`.execute(db);
    const { topic, received, close } = await uniqueOrderedTopic(pubsub, 'sigterm');
    const env = {
      ...relayEnv(database.url, pubsub, topic),
      RELAY_BATCH_SIZE: '50',
      RELAY_SHUTDOWN_TIMEOUT: '5s',
    };
    const relay = spawnRelay([], env);
    relays.push(relay);
    await relay.httpPort();
    const subjects = Array.from({ length: 30 }, (_, i) => `item-t-${String(i)}`);
    // Writers keep writing until the relay has exited, so the SIGTERM lands mid-stream however fast
    // the relay is (a fixed 3,000 events were all published before it on one loaded run).
    const stopWriting = new AbortController();
    // A function, not the property: the flag changes while the loop awaits.
    const writing = () => !stopWriting.signal.aborted;
    let rounds = 0;
    const producing = (async () => {
      while (writing()) {
        await enqueueRoundRobin(db, subjects, 1, 30);
        rounds += 1;
      }
      return rounds * subjects.length;
    })();
    let signalled: number;
    let exited: Awaited<typeof relay.exited>;
    try {
      await waitFor(() => received.length >= 300, {
        timeoutMs: 20_000,
        description: '300 events before SIGTERM',
      });
      signalled = Date.now();
      relay.child.kill('SIGTERM');
      exited = await relay.exited;
    } finally {
      stopWriting.abort();
    }
    expect(exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled, 'within RELAY_SHUTDOWN_TIMEOUT (5 s) and the time to close').toBeLessThan(
      7_000,
    );
    expect(relay.output()).toContain('"drained":true');
    const held = await sql<{ n: string }>`
      SELECT count(*) AS n FROM rims_outbox.relay_leases WHERE owner IS NOT NULL`.execute(db);
    expect(Number(held.rows[0]?.n), 'every lease released').toBe(0);

    // Everything it recorded was published; the rest is still pending, and --once publishes it in order.
    const total = await producing;
    const recorded = (
      await sql<{
        id: string;
      }>`SELECT id::text AS id FROM rims_outbox.events WHERE published_at IS NOT NULL`.execute(db)
    ).rows.map((r) => r.id);
    expect(recorded.length).toBeLessThan(total);
    await waitFor(() => recorded.every((id) => distinctIds(received).has(id)), {
      timeoutMs: 20_000,
      description: 'every recorded event to arrive',
    });
    const rest = run(['--once'], env);
    expect(rest.status, rest.stderr).toBe(0);
    await waitFor(() => distinctIds(received).size === total, {
      timeoutMs: 20_000,
      description: 'all events',
    });
    expect(outOfOrder(received, rounds)).toEqual([]);
    await close();
  });

  it('refuses a database without the relay migration, and `migrate` fixes that', () => {
    const env = { DATABASE_URL: fresh.url, LOG_LEVEL: 'silent' };
    const refused = run(['--once'], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('RIMS_RELAY_SCHEMA');
    expect(refused.stderr).toContain('rims-relay migrate');
    const replay = run(['replay', '--since', '2026-03-01T09:00:00Z'], env);
    expect(replay.status).toBe(1);
    expect(replay.stderr).toContain('has `rims-relay migrate` run against this database?');

    const migrated = run(['migrate'], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain('applied migration 0002_relay_leases');
    const again = run(['migrate'], env);
    expect(again.stdout).not.toContain('applied migration');
  });

  it('explains bad settings and unknown commands with exit code 2', () => {
    const bad = run([], { RELAY_BATCH_SIZE: '0' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('RELAY_BATCH_SIZE: must be at least 1');
    const unknownFlag = run(['--bogus'], {});
    expect(unknownFlag.status).toBe(2);
    expect(unknownFlag.stderr).toContain('--bogus');
    // Nothing listens there: the relay cannot start, and says which setting points where.
    const unreachable = run(['--once'], { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/none' });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toContain(
      'rims-relay: cannot reach PostgreSQL at DATABASE_URL (127.0.0.1:1, database none)',
    );
    expect(unreachable.stderr).not.toContain('secret');
    for (const limit of ['abc', '0', '1.5']) {
      const badLimit = run(['dead', 'list', '--limit', limit], { DATABASE_URL: database.url });
      expect(badLimit.status, limit).toBe(2);
      expect(badLimit.stderr).toContain(`--limit: '${limit}' is not a whole number of 1 or more`);
    }
    const unknownCommand = run(['publish'], {});
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'publish'");
    const help = run(['--help'], {});
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--lease-ttl');
    expect(help.stdout).toContain('RELAY_LEASE_TTL');
  });
});
