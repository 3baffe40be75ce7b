import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { containerRuntimeAvailable } from './docker.js';
import { HarnessError } from './errors.js';
import { freePort } from './free-port.js';
import { makeOwnedDirectory, removeAbandonedDirectories } from './owner-tag.js';
import { connectError } from './postgres.js';
import { waitFor } from './wait-for.js';

/**
 * A PostgreSQL server of one test's own, for fault tests: `stop()` shuts it down (keeping its
 * data), `start()` brings it back on the same port, `destroy()` removes it. Never use the shared
 * server for such tests: other test files use it at the same time.
 */
export interface ThrowawayPostgres {
  /** URL of its `postgres` database (user postgres, no password). */
  readonly url: string;
  readonly port: number;
  readonly origin: 'local' | 'testcontainers';
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * Starts a throw-away PostgreSQL server on a free port: with the local binaries (initdb, pg_ctl; as
 * the postgres user when running as root) when they are installed, else in a container.
 *
 * @throws {HarnessError} when neither is available
 * @example
 * const server = await startThrowawayPostgres();
 * await server.stop(); await server.start(); await server.destroy();
 */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  const server = bin
    ? new LocalPostgres(bin, await freePort())
    : (await containerRuntimeAvailable())
      ? new ContainerPostgres(await freePort())
      : undefined;
  if (!server) {
    throw new HarnessError(
      'No throw-away PostgreSQL: initdb and pg_ctl are not installed (looked in PATH and /usr/lib/postgresql/*/bin) and no container runtime answers. Install the PostgreSQL server package or start Docker.',
    );
  }
  await server.create();
  return server;
}

/** Where a local throw-away server lives: a directory `rims-pg-*` in the temporary directory. */
const SERVER_DIR_PREFIX = 'rims-pg-';

/**
 * Stops and removes the local throw-away servers that runs killed before their teardown left
 * running: those whose owner file names a process of this machine that is gone. Returns their
 * directories.
 *
 * @example destroyAbandonedServers(); // at the start of a run
 */
export function destroyAbandonedServers(): string[] {
  // Looked up only when there is a server to stop: most runs find none, and every run comes here.
  let bin: string | undefined;
  return removeAbandonedDirectories(SERVER_DIR_PREFIX, (dir) => {
    bin ??= findPostgresBin();
    if (bin) killServer(bin, dir);
  });
}

function findPostgresBin(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const onPath = which.status === 0 ? which.stdout.trim() : '';
  if (onPath && existsSync(join(onPath, '..', 'initdb'))) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

class LocalPostgres implements ThrowawayPostgres {
  readonly origin = 'local';
  readonly url: string;
  private readonly dir: string;

  constructor(
    private readonly bin: string,
    readonly port: number,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${String(port)}/postgres`;
    this.dir = makeOwnedDirectory(SERVER_DIR_PREFIX);
  }

  async create(): Promise<void> {
    if (asPostgresUser()) {
      // initdb and the server refuse to run as root.
      const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      chownSync(this.dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
    }
    runTool(this.bin, 'initdb', [
      '-D',
      join(this.dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await this.start();
  }

  async start(): Promise<void> {
    const options = [
      `-p ${String(this.port)}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
    ].join(' ');
    runTool(this.bin, 'pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
    await waitFor(async () => (await connectError(this.url, 1_000)) === undefined, {
      timeoutMs: 30_000,
      description: `the throw-away PostgreSQL on port ${String(this.port)}`,
    });
  }

  stop(): Promise<void> {
    // fast: disconnects clients at once, as a restart or failover does.
    runTool(this.bin, 'pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    killServer(this.bin, this.dir);
    rmSync(this.dir, { recursive: true, force: true });
    await Promise.resolve();
  }
}

/** initdb and the server refuse to run as root: as root, the tools run as the postgres user. */
function asPostgresUser(): boolean {
  return userInfo().uid === 0;
}

/** Runs one of PostgreSQL's tools from `bin`. @throws {HarnessError} when it fails, unless told not to. */
function runTool(bin: string, command: string, args: string[], ignoreFailure = false): void {
  const path = join(bin, command);
  const result: SpawnSyncReturns<string> = asPostgresUser()
    ? spawnSync('runuser', ['-u', 'postgres', '--', path, ...args], { encoding: 'utf8' })
    : spawnSync(path, args, { encoding: 'utf8' });
  if (result.status !== 0 && !ignoreFailure) {
    throw new HarnessError(
      `${command} ${args.join(' ')} failed (${String(result.status ?? result.error)}):\n${result.stderr}${result.stdout}`,
    );
  }
}

/** Stops the server in `dir` at once if it runs (immediate: nothing in it is worth a checkpoint). */
function killServer(bin: string, dir: string): void {
  if (existsSync(join(dir, 'data', 'postmaster.pid'))) {
    runTool(bin, 'pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], true);
  }
}

class ContainerPostgres implements ThrowawayPostgres {
  readonly origin = 'testcontainers';
  readonly url: string;
  private id: string | undefined;

  constructor(readonly port: number) {
    this.url = `postgres://postgres@127.0.0.1:${String(port)}/postgres`;
  }

  async create(): Promise<void> {
    const { GenericContainer, Wait } = await import('testcontainers');
    // A fixed host port, so the server is found where it was after `docker start`.
    const container = await new GenericContainer('postgres:16-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts({ container: 5432, host: this.port })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    this.id = container.getId();
    await this.waitUntilUp();
  }

  async stop(): Promise<void> {
    if (this.id) spawnSync('docker', ['stop', this.id]);
    await Promise.resolve();
  }

  async start(): Promise<void> {
    if (this.id) spawnSync('docker', ['start', this.id]);
    await this.waitUntilUp();
  }

  async destroy(): Promise<void> {
    if (this.id) spawnSync('docker', ['rm', '--force', '--volumes', this.id]);
    this.id = undefined;
    await Promise.resolve();
  }

  private async waitUntilUp(): Promise<void> {
    await waitFor(async () => (await connectError(this.url, 1_000)) === undefined, {
      timeoutMs: 60_000,
      description: `the throw-away PostgreSQL container on port ${String(this.port)}`,
    });
  }
}
