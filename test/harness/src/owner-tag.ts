import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Who made a test resource (a database, a throw-away server, a scratch directory): this machine and
 * this process, as text stored beside the resource. A run killed before its teardown leaves such
 * resources behind; the next run's setup removes those whose maker is gone ({@link ownerIsGone}).
 *
 * @example ownerTag() // 'rims-test host=ci-runner-7 pid=41233'
 */
export function ownerTag(): string {
  return `rims-test host=${hostname()} pid=${String(process.pid)}`;
}

/**
 * Whether `tag` (from {@link ownerTag}) names a process of this machine that no longer runs. False
 * for anything else: no tag, another machine's (a shared server's other clients), a live process,
 * or one that runs as another user (`EPERM`). A reused pid keeps a leftover until that process
 * ends, which errs on the side of keeping.
 */
export function ownerIsGone(tag: string | null | undefined): boolean {
  const [, host, pid] = /^rims-test host=(\S+) pid=(\d+)$/.exec(tag ?? '') ?? [];
  if (host !== hostname() || pid === undefined) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The file in an owned directory that holds its {@link ownerTag}. */
const OWNER_FILE = 'owner';

/**
 * Makes a new directory `$TMPDIR/<prefix>XXXXXX` holding an `owner` file with this process's
 * {@link ownerTag}, so that {@link removeAbandonedDirectories} can tell when its maker is gone.
 *
 * @example const dir = makeOwnedDirectory('rims-pg-'); // /tmp/rims-pg-Ab12Cd, with /tmp/rims-pg-Ab12Cd/owner
 */
export function makeOwnedDirectory(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, OWNER_FILE), ownerTag());
  return dir;
}

/**
 * Removes the directories `$TMPDIR/<prefix>*` whose owner file names a process of this machine that
 * is gone ({@link ownerIsGone}), calling `beforeRemove` on each first (to stop what runs there).
 * Keeps those without an owner file: not made by {@link makeOwnedDirectory}, or still being made.
 * Returns the directories removed.
 *
 * @example removeAbandonedDirectories('rims-t-'); // at the start of a run
 */
export function removeAbandonedDirectories(prefix: string, beforeRemove?: (dir: string) => void): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpdir(), name);
    let tag: string;
    try {
      tag = readFileSync(join(dir, OWNER_FILE), 'utf8');
    } catch {
      continue;
    }
    if (!ownerIsGone(tag)) continue;
    beforeRemove?.(dir);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
