/**
 * Relay replicas as the real binary (`packages/relay/dist/bin.js`) in processes of their own, as
 * they run in production, and what the benchmarks read of them: their /metrics and their CPU time.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { freePort, spawnNode, waitFor, type NodeProcess } from '@rims/test-harness';

const RELAY_BIN = fileURLToPath(new URL('../packages/relay/dist/bin.js', import.meta.url));
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** One relay replica process. */
export interface RelayReplica {
  readonly process: NodeProcess;
  readonly pid: number;
  readonly httpPort: number;
  /** Its /metrics, as `name{labels}` → value. */
  metrics(): Promise<Map<string, number>>;
}

/** Starts a replica with `env` (database, emulator, topic) plus `settings`, and waits until it serves /metrics. */
export async function startRelayReplica(
  env: Readonly<Record<string, string>>,
  settings: Readonly<Record<string, string>> = {},
): Promise<RelayReplica> {
  const httpPort = await freePort();
  const relay = spawnNode(RELAY_BIN, [], {
    RELAY_HTTP_PORT: String(httpPort),
    RELAY_HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
    ...settings,
  });
  const ready = waitFor(
    async () => {
      if (relay.child.exitCode !== null) throw new Error(`a relay exited: ${relay.output().slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${String(httpPort)}/readyz`).catch(() => undefined))?.ok;
    },
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: () => `a relay to be ready (output: ${relay.output().slice(-2000)})`,
    },
  );
  // Not left running when it does not come up.
  await ready.catch(async (error: unknown) => {
    await relay.stop('SIGKILL');
    throw error;
  });
  return {
    process: relay,
    pid: relay.child.pid ?? 0,
    httpPort,
    metrics: () => scrapeMetrics(httpPort),
  };
}

/** A replica's /metrics parsed into `name{labels}` → value (comments and histograms' text left out). */
async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** CPU time (user + system) a process used so far, in microseconds; 0 once it is gone. */
export function processCpuMicros(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU time used so far by every PostgreSQL backend connected to the pool's database, by pid. The
 * server must run on this machine (it does for the benchmarks: local or throw-away).
 */
export async function databaseCpuMicros(pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  return new Map(rows.map(({ pid }) => [pid, processCpuMicros(pid)]));
}

/** CPU the database's backends used between two {@link databaseCpuMicros} readings. */
export function databaseCpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, micros] of after) spent += micros - (before.get(pid) ?? 0);
  return spent;
}
