import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { gcloudEmulatorAvailable, waitFor } from '@rims/test-harness';

const HARNESS = new URL('./harness/dist/index.js', import.meta.url).href;

/**
 * A Node.js process that runs `code` (an ES module importing the harness as `harness`) and prints
 * one line: what it started. The test then kills it with SIGKILL, as a test run ended by a closed
 * pipe or a timeout is killed, before any teardown runs.
 */
async function starter(code: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import * as harness from '${HARNESS}';\n${code}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
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

describe('what the harness started, when the process that started it is killed', () => {
  it.skipIf(!gcloudEmulatorAvailable())(
    'a Pub/Sub emulator stops',
    async () => {
      const { child, line: host } = await starter(
        `const emulator = await harness.startPubSubEmulator();
         console.log(emulator.host);
         setInterval(() => undefined, 60_000);`,
      );
      try {
        expect(await answers(host), `the emulator at ${host} answers`).toBe(true);
        await killed(child);
        await waitFor(async () => !(await answers(host)), {
          timeoutMs: 20_000,
          description: `the orphaned emulator at ${host} to stop`,
        });
      } finally {
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
});
