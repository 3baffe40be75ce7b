import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  connectError,
  createDatabase,
  destroyAbandonedServers,
  dropAbandonedDatabases,
  dropDatabase,
  gcloudEmulatorAvailable,
  makeScratchDirectory,
  removeAbandonedScratchDirectories,
  uniqueDatabaseName,
  waitFor,
} from '@rims/test-harness';
import { harnessContext } from '@rims/test-harness/vitest';

const HARNESS = new URL('./harness/dist/index.js', import.meta.url).href;

/**
 * A Node.js process that runs `code` (an ES module importing the harness as `harness`, and
 * `writeFileSync` and `join`) and prints one line: what it started. The test then kills it with
 * SIGKILL, as a test run ended by a closed pipe or a timeout is killed, before any teardown runs.
 */
async function starter(
  code: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { writeFileSync } from 'node:fs';\nimport { join } from 'node:path';\nimport * as harness from '${HARNESS}';\n${code}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env },
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { child, line };
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Whether something answers HTTP at `host`, as the emulator does on `/`. */
async function answers(host: string): Promise<boolean> {
  try {
    return (await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The names of the databases on the run's server whose names start with `rims_t_`. */
async function testDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: harnessContext().postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'rims\\_t\\_%'`,
    );
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe('what the harness started, when the process that started it is killed', () => {
  it.skipIf(!gcloudEmulatorAvailable())(
    'a Pub/Sub emulator stops and its data directory is removed',
    async () => {
      // A temporary directory of the starter's own, where its emulator makes its data directory.
      const tmp = mkdtempSync(join(tmpdir(), 'rims-killed-run-'));
      const { child, line: host } = await starter(
        `const emulator = await harness.startPubSubEmulator();
         console.log(emulator.host);
         setInterval(() => undefined, 60_000);`,
        { ...process.env, TMPDIR: tmp },
      );
      try {
        expect(await answers(host), `the emulator at ${host} answers`).toBe(true);
        expect(readdirSync(tmp), 'the emulator data directory').toHaveLength(1);
        await killed(child);
        await waitFor(async () => !(await answers(host)) && readdirSync(tmp).length === 0, {
          timeoutMs: 20_000,
          description: `the orphaned emulator at ${host} to stop and its data directory to go`,
        });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
        child.kill('SIGKILL');
        // Whatever outlived the check (gcloud's python and its java, both naming the port).
        if (await answers(host)) spawnSync('pkill', ['-KILL', '-f', host.split(':')[1] ?? host]);
      }
    },
    120_000,
  );

  it('a program run with spawnNode (a relay binary, say) is killed', async () => {
    const { child, line } = await starter(
      `const program = harness.spawnNode('-e', ['setInterval(() => undefined, 60_000)'], {});
       console.log(program.child.pid);
       setInterval(() => undefined, 60_000);`,
    );
    const pid = Number(line);
    try {
      expect(alive(pid), `the program (pid ${line}) runs`).toBe(true);
      await killed(child);
      await waitFor(() => !alive(pid), {
        timeoutMs: 20_000,
        description: `the orphaned program (pid ${line}) to be killed`,
      });
    } finally {
      child.kill('SIGKILL');
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);

  it("its database is dropped by the next run's setup; a live run's and another machine's are kept", async () => {
    const adminUrl = harnessContext().postgresUrl;
    const abandoned = uniqueDatabaseName('killed_run');
    const live = uniqueDatabaseName('live_run');
    const elsewhere = uniqueDatabaseName('other_machine');
    const { child } = await starter(
      `await harness.createDatabase(${JSON.stringify(adminUrl)}, ${JSON.stringify(abandoned)});
       console.log('created');
       setInterval(() => undefined, 60_000);`,
    );
    await createDatabase(adminUrl, live);
    await createDatabase(adminUrl, elsewhere);
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(
        `COMMENT ON DATABASE ${pg.escapeIdentifier(elsewhere)} IS 'rims-test host=elsewhere pid=1'`,
      );
      await killed(child);
      expect(await testDatabases()).toContain(abandoned);

      const dropped = await dropAbandonedDatabases(adminUrl);

      expect(dropped).toContain(abandoned);
      expect(dropped).not.toContain(live);
      expect(dropped).not.toContain(elsewhere);
      const left = await testDatabases();
      expect(left).not.toContain(abandoned);
      expect(left).toEqual(expect.arrayContaining([live, elsewhere]));
    } finally {
      child.kill('SIGKILL');
      await client.end();
      for (const name of [abandoned, live, elsewhere]) await dropDatabase(adminUrl, name);
    }
  }, 60_000);

  it("its scratch directory is removed by the next run's setup; a live process's is kept", async () => {
    const { child, line: abandoned } = await starter(
      `const dir = harness.makeScratchDirectory('killed-run');
       writeFileSync(join(dir, 'warehouse.duckdb'), 'left behind');
       console.log(dir);
       setInterval(() => undefined, 60_000);`,
    );
    const live = makeScratchDirectory('live-run');
    try {
      await killed(child);
      expect(existsSync(join(abandoned, 'warehouse.duckdb')), `${abandoned} after the kill`).toBe(true);

      const removed = removeAbandonedScratchDirectories();

      expect(removed).toContain(abandoned);
      expect(removed).not.toContain(live);
      expect(existsSync(abandoned), `${abandoned} after the sweep`).toBe(false);
      expect(existsSync(live), `${live} after the sweep`).toBe(true);
    } finally {
      child.kill('SIGKILL');
      rmSync(abandoned, { recursive: true, force: true });
      rmSync(live, { recursive: true, force: true });
    }
  }, 60_000);

  it("its throw-away PostgreSQL server is stopped and removed by the next run's setup", async () => {
    const { child, line: url } = await starter(
      `const server = await harness.startThrowawayPostgres();
       console.log(server.url);
       setInterval(() => undefined, 60_000);`,
    );
    try {
      await killed(child);
      expect(await connectError(url), `the orphaned server at ${url} still answers`).toBeUndefined();

      const destroyed = destroyAbandonedServers();

      expect(destroyed.length, 'servers destroyed').toBeGreaterThanOrEqual(1);
      for (const dir of destroyed) expect(existsSync(dir), dir).toBe(false);
      expect(await connectError(url, 1_000), `the server at ${url} after the sweep`).toBeInstanceOf(Error);
    } finally {
      child.kill('SIGKILL');
      destroyAbandonedServers();
    }
  }, 120_000);
});
