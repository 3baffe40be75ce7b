import { spawn, type ChildProcess } from 'node:child_process';
import { watchOrphan } from './orphan-watchdog.js';

/** A Node.js program started by a test, with its output kept for failure messages. */
export interface NodeProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved (the last 200,000 characters). */
  output(): string;
  /** Resolves when it exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `node <script> ...args` with `env` on top of PATH only, so a test states every setting the
 * program gets (nothing leaks in from the developer's shell).
 *
 * @example const relay = spawnNode(RELAY_BIN, ['--once'], { DATABASE_URL: url }); await relay.exited;
 */
export function spawnNode(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { cwd?: string } = {},
): NodeProcess {
  let output = '';
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  // A relay binary left behind by a killed test run would retry its database and Pub/Sub forever.
  const watchdog = child.pid ? watchOrphan(child.pid) : undefined;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      watchdog?.kill('SIGKILL');
      resolve({ code, signal });
    });
  });
  return {
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
