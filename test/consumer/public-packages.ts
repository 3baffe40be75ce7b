import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { explain, runCommand } from './command.js';

/** A workspace package that is published (its package.json is not `private`). */
export interface PublicPackage {
  readonly name: string;
  readonly version: string;
  readonly path: string;
}

/** A public package packed as its registry tarball. */
export interface PackedPackage extends PublicPackage {
  readonly tarball: string;
}

/**
 * The workspace's public packages, as pnpm sees them: whatever is not `private` is published, so
 * it is what the consumer checks cover, with no list here to forget a new package in.
 */
export async function publicPackages(root: string): Promise<PublicPackage[]> {
  const result = await runCommand(
    'pnpm',
    ['ls', '--recursive', '--depth', '-1', '--json'],
    root,
    process.env,
  );
  if (result.code !== 0) throw new Error(`pnpm ls failed: ${explain(result)}`);
  const listed = JSON.parse(result.stdout) as {
    name: string;
    version?: string;
    path: string;
    private?: boolean;
  }[];
  return listed
    .filter((entry) => entry.private !== true && entry.version !== undefined)
    .map((entry) => ({ name: entry.name, version: entry.version ?? '', path: entry.path }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Packs each package with `pnpm pack`, as a release would: `workspace:^` dependencies become the
 * version ranges the registry will see.
 */
export async function packPackages(
  packages: readonly PublicPackage[],
  into: string,
): Promise<PackedPackage[]> {
  mkdirSync(into, { recursive: true });
  return Promise.all(
    packages.map(async (pkg) => {
      const result = await runCommand('pnpm', ['pack', '--pack-destination', into], pkg.path, process.env);
      if (result.code !== 0) throw new Error(`pnpm pack of ${pkg.name} failed: ${explain(result)}`);
      const tarball = join(into, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
      return { ...pkg, tarball };
    }),
  );
}
