/**
 * The packages as a new user gets them: every public package packed as its registry tarball,
 * checked with publint and arethetypeswrong, installed with npm into a project outside the
 * workspace, and used by a strict TypeScript (NodeNext) application against the real PostgreSQL and
 * Pub/Sub emulator. Anything the workspace provides by accident (a dependency only hoisted here, a
 * file left out of `files`, a type from a devDependency) fails here before a user meets it.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, useTestPubSub } from '@rims/test-harness/vitest';
import { cleanEnv, explain, runCommand, type CommandResult } from './command.js';
import { packPackages, publicPackages, type PackedPackage } from './public-packages.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const database = useTestDatabase({ migrated: false, label: 'consumer' });
const pubsub = useTestPubSub();
const work = mkdtempSync(join(tmpdir(), 'rims-consumer-'));
const app = join(work, 'app');

/** The version of a package installed at the workspace root (the one the workspace tests with). */
const versionOf = (name: string) =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

let packed: PackedPackage[] = [];
let installed: Promise<CommandResult> | undefined;

/** Writes the application project and installs the tarballs with npm (its cache makes reruns fast). */
function install(): Promise<CommandResult> {
  mkdirSync(app, { recursive: true });
  cpSync(fileURLToPath(new URL('app/src', import.meta.url)), join(app, 'src'), { recursive: true });
  copyFileSync(fileURLToPath(new URL('app/tsconfig.json', import.meta.url)), join(app, 'tsconfig.json'));
  const tarballs = Object.fromEntries(packed.map((pkg) => [pkg.name, `file:${pkg.tarball}`]));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'rims-consumer-check',
        private: true,
        type: 'module',
        dependencies: {
          ...tarballs,
          kysely: versionOf('kysely'),
          pg: versionOf('pg'),
        },
        devDependencies: {
          '@types/node': versionOf('@types/node'),
          '@types/pg': versionOf('@types/pg'),
          typescript: versionOf('typescript'),
        },
        // Each package's dependency on another (`@rims/schemas@^0.1.0`) must be this tarball,
        // never a registry package of the same name.
        overrides: Object.fromEntries(packed.map((pkg) => [pkg.name, `$${pkg.name}`])),
      },
      null,
      2,
    ),
  );
  return runCommand(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    app,
    cleanEnv(),
  );
}

/** Runs a workspace tool on every tarball at once. */
function onEachTarball(tool: string, args: (tarball: string) => string[]) {
  return Promise.all(
    packed.map(async (pkg) => ({
      pkg,
      result: await runCommand(bin(tool), args(pkg.tarball), work, cleanEnv()),
    })),
  );
}

beforeAll(async () => {
  expect(relative(root, work).startsWith('..'), 'the consumer project is outside the workspace').toBe(true);
  packed = await packPackages(await publicPackages(root), join(work, 'tarballs'));
  installed = install();
  // Reported by the install test; never an unhandled rejection meanwhile.
  installed.catch(() => undefined);
}, 120_000);

afterAll(() => {
  if (process.env.KEEP_CONSUMER_PROJECT === undefined) rmSync(work, { recursive: true, force: true });
});

describe('the published packages, as a consumer installs them', () => {
  it('are every package not marked private, each with its README, built code and types', async () => {
    expect(packed.map((pkg) => pkg.name)).toEqual(
      expect.arrayContaining(['@rims/outbox', '@rims/schemas', '@rims/sql']),
    );
    for (const pkg of packed) {
      const listing = await runCommand('tar', ['-tzf', pkg.tarball], work, cleanEnv());
      expect(listing.code, explain(listing)).toBe(0);
      const files = listing.stdout.split('\n');
      expect(files, pkg.name).toEqual(
        expect.arrayContaining([
          'package/README.md',
          'package/package.json',
          'package/dist/index.js',
          'package/dist/index.d.ts',
        ]),
      );
    }
  });

  it('pass publint, warnings and suggestions failing', async () => {
    const results = await onEachTarball('publint', (tarball) => [
      'run',
      tarball,
      '--strict',
      '--level',
      'suggestion',
    ]);
    for (const { pkg, result } of results) {
      expect(result.code, `${pkg.name}: ${explain(result)}`).toBe(0);
      expect(result.stdout, pkg.name).toContain('All good!');
    }
  });

  it('pass arethetypeswrong as ESM-only packages (Node 20.19+ can require them)', async () => {
    const results = await onEachTarball('attw', (tarball) => [
      tarball,
      '--profile',
      'esm-only',
      '--format',
      'ascii',
      '--no-color',
    ]);
    for (const { pkg, result } of results) {
      expect(result.code, `${pkg.name}: ${explain(result)}`).toBe(0);
      expect(result.stdout, pkg.name).toContain(`"${pkg.name}"`);
    }
  });

  it('install with npm outside the workspace and typecheck a strict NodeNext application', async () => {
    const install = await (installed ?? Promise.reject(new Error('not installed')));
    expect(install.code, explain(install)).toBe(0);
    const tsc = await runCommand(join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.'], app, cleanEnv());
    expect(tsc.code, explain(tsc)).toBe(0);
  }, 300_000);

  it('run against PostgreSQL and the emulator: migrate and enqueue, the packed relay publishes, the app decodes', async () => {
    const env = cleanEnv({ DATABASE_URL: database.url });
    const produced = await runCommand(process.execPath, ['dist/app.js', 'produce'], app, env);
    expect(produced.code, explain(produced)).toBe(0);
    const written = JSON.parse(produced.stdout) as {
      applied: number;
      appliedAgain: number;
      event: { id: string; sequence: number };
      itemStatus: string;
      refused: { code: string; paths: string[] };
    };
    expect(written.applied).toBeGreaterThan(0);
    expect(written).toMatchObject({
      appliedAgain: 0,
      event: { sequence: 1 },
      itemStatus: 'committed',
      refused: { code: 'RIMS_OUTBOX_VALIDATION', paths: ['data.reason'] },
    });

    // The packed binaries, as installed: the merger provisions the topic and a pull subscription,
    // the relay publishes the backlog. `bars`: any project id works on the emulator.
    const names = {
      PUBSUB_EMULATOR_HOST: pubsub.host,
      PUBSUB_PROJECT_ID: 'bars',
      PUBSUB_TOPIC: pubsub.uniqueName('consumer-events'),
      PUBSUB_SUBSCRIPTION: pubsub.uniqueName('consumer-raw'),
      PUBSUB_DEAD_LETTER_TOPIC: pubsub.uniqueName('consumer-dead'),
    };
    const binary = (name: string) => join(app, 'node_modules', '.bin', name);
    const provision = await runCommand(
      binary('rims-merger'),
      ['provision', '--only', 'pubsub'],
      app,
      cleanEnv(names),
    );
    expect(provision.code, explain(provision)).toBe(0);
    const relay = await runCommand(
      binary('rims-relay'),
      ['--once'],
      app,
      cleanEnv({ ...names, DATABASE_URL: database.url, LOG_LEVEL: 'warn' }),
    );
    expect(relay.code, explain(relay)).toBe(0);

    const consumed = await runCommand(
      process.execPath,
      ['dist/app.js', 'consume'],
      app,
      cleanEnv({ ...names, SUBSCRIPTION: names.PUBSUB_SUBSCRIPTION }),
    );
    expect(consumed.code, explain(consumed)).toBe(0);
    expect(JSON.parse(consumed.stdout)).toEqual([
      { type: 'rims.item.committed.v1', subject: 'item-1', sequence: '1', id: written.event.id, quantity: 2 },
    ]);
  }, 120_000);
});
