import { hostname } from 'node:os';

/**
 * Who made a test resource (a database, a throw-away server): this machine and this process, as
 * text stored beside the resource. A run killed before its teardown leaves such resources behind;
 * the next run's setup removes those whose maker is gone ({@link ownerIsGone}).
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
