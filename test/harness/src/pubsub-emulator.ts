import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerRuntimeAvailable } from './docker.js';
import { HarnessError } from './errors.js';
import { freePort } from './free-port.js';
import { watchOrphan } from './orphan-watchdog.js';
import { waitFor } from './wait-for.js';

/** Project id the emulator is started with unless told otherwise; any id works on the emulator. */
export const EMULATOR_PROJECT_ID = 'rims-test';

/** A running Pub/Sub emulator. `host` is what PUBSUB_EMULATOR_HOST or the client's apiEndpoint take. */
export interface PubSubEmulator {
  readonly host: string;
  readonly projectId: string;
  readonly origin: 'PUBSUB_EMULATOR_HOST' | 'gcloud' | 'testcontainers';
  /** Stops the emulator for good (a no-op for one given by PUBSUB_EMULATOR_HOST). */
  stop(): Promise<void>;
}

/**
 * An emulator this process started and controls, for fault tests: `stop()` and `start()` again on the
 * same host (the emulator keeps nothing in memory across that), or `pause()`/`resume()` to make it
 * unresponsive while keeping its topics and messages.
 */
export interface ManagedPubSubEmulator extends PubSubEmulator {
  start(): Promise<void>;
  pause(): void;
  resume(): void;
}

/** True when `gcloud` and `java` are on the PATH (the emulator needs both). */
export function gcloudEmulatorAvailable(): boolean {
  const found = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  return found('gcloud') && found('java');
}

/**
 * Finds the emulator for a test run: `PUBSUB_EMULATOR_HOST` if set, else one started with
 * `gcloud beta emulators pubsub start`, else one in a container through testcontainers.
 *
 * @throws {HarnessError} naming all three when none works
 */
export async function resolvePubSubEmulator(env: NodeJS.ProcessEnv = process.env): Promise<PubSubEmulator> {
  const fromEnv = env.PUBSUB_EMULATOR_HOST;
  if (fromEnv) {
    await waitUntilAnswering(fromEnv, 5_000).catch((error: unknown) => {
      throw new HarnessError(`PUBSUB_EMULATOR_HOST=${fromEnv} is set but does not answer: ${String(error)}`);
    });
    return {
      host: fromEnv,
      projectId: env.PUBSUB_PROJECT_ID ?? EMULATOR_PROJECT_ID,
      origin: 'PUBSUB_EMULATOR_HOST',
      stop: () => Promise.resolve(),
    };
  }
  if (gcloudEmulatorAvailable() || (await containerRuntimeAvailable())) return startPubSubEmulator();
  throw new HarnessError(
    [
      'No Pub/Sub emulator for the tests. Tried, in order:',
      '  1. PUBSUB_EMULATOR_HOST: not set',
      '  2. gcloud beta emulators pubsub start: gcloud or java is not on the PATH',
      '  3. testcontainers: no container runtime (Docker or Podman) answers',
      'Fix: install the Google Cloud CLI with the pubsub-emulator component and Java, set PUBSUB_EMULATOR_HOST, or start Docker.',
    ].join('\n'),
  );
}

/**
 * Starts a dedicated emulator on a free loopback port: through gcloud when it is installed,
 * otherwise in a container. Tests that stop or pause Pub/Sub use their own.
 */
export async function startPubSubEmulator(
  options: { projectId?: string } = {},
): Promise<ManagedPubSubEmulator> {
  const projectId = options.projectId ?? EMULATOR_PROJECT_ID;
  const emulator = gcloudEmulatorAvailable()
    ? new GcloudEmulator(projectId, await freePort())
    : new ContainerEmulator(projectId, await freePort());
  await emulator.start();
  return emulator;
}

class GcloudEmulator implements ManagedPubSubEmulator {
  readonly origin = 'gcloud';
  readonly host: string;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private dataDir: string | undefined;

  constructor(
    readonly projectId: string,
    private readonly port: number,
  ) {
    this.host = `127.0.0.1:${String(port)}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.dataDir = mkdtempSync(join(tmpdir(), 'rims-pubsub-'));
    // detached: the emulator gets its own process group, so stopping it also stops the java
    // process gcloud starts (killing gcloud alone would leave java holding the port).
    const child = spawn(
      'gcloud',
      [
        'beta',
        'emulators',
        'pubsub',
        'start',
        `--host-port=${this.host}`,
        `--project=${this.projectId}`,
        `--data-dir=${this.dataDir}`,
        '--quiet',
      ],
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    // The group outlives this process: a watchdog outside it kills all of it once we are gone.
    if (child.pid) this.watchdog = watchOrphan(-child.pid, this.dataDir);
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => {
        reject(new HarnessError(`gcloud pubsub emulator exited with code ${String(code)}:\n${output}`));
      }),
    );
    exited.catch(() => undefined);
    await Promise.race([waitUntilAnswering(this.host, 60_000), exited]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.child = undefined;
    this.watchdog?.kill('SIGKILL');
    this.watchdog = undefined;
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else
        child.once('exit', () => {
          resolve();
        });
    });
    signalGroup(child.pid, 'SIGCONT');
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      signalGroup(child.pid ?? 0, 'SIGKILL');
    }, 5_000);
    await gone;
    clearTimeout(timer);
    // java may outlive gcloud by a moment; make sure the port is free before anyone restarts.
    signalGroup(child.pid, 'SIGKILL');
    await waitFor(async () => !(await answers(this.host)), {
      timeoutMs: 10_000,
      description: 'the emulator port to close',
    });
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  pause(): void {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGCONT');
  }
}

class ContainerEmulator implements ManagedPubSubEmulator {
  readonly origin = 'testcontainers';
  readonly host: string;
  private container: { stop(): Promise<unknown>; getId(): string } | undefined;

  constructor(
    readonly projectId: string,
    private readonly port: number,
  ) {
    this.host = `127.0.0.1:${String(port)}`;
  }

  async start(): Promise<void> {
    if (this.container) return;
    const { GenericContainer, Wait } = await import('testcontainers');
    // A fixed host port, so a restarted emulator is found where the old one was.
    this.container = await new GenericContainer('gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators')
      .withCommand([
        'gcloud',
        'beta',
        'emulators',
        'pubsub',
        'start',
        '--host-port=0.0.0.0:8085',
        `--project=${this.projectId}`,
      ])
      .withExposedPorts({ container: 8085, host: this.port })
      .withWaitStrategy(Wait.forLogMessage(/Server started/))
      .start();
    await waitUntilAnswering(this.host, 60_000);
  }

  async stop(): Promise<void> {
    const container = this.container;
    this.container = undefined;
    await container?.stop();
  }

  pause(): void {
    if (this.container) spawnSync('docker', ['pause', this.container.getId()]);
  }

  resume(): void {
    if (this.container) spawnSync('docker', ['unpause', this.container.getId()]);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function waitUntilAnswering(host: string, timeoutMs: number): Promise<void> {
  await waitFor(() => answers(host), {
    timeoutMs,
    intervalMs: 100,
    description: `the Pub/Sub emulator at ${host}`,
  });
}
