import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Kills `target` (a pid, or a process group as a negative number) once this process is gone, so
 * that what a test started does not outlive a run killed before its teardown (a closed pipe, a
 * timeout, SIGKILL): such runs left Pub/Sub emulators and relay binaries running. The watchdog is
 * a detached shell that checks both once a second and ends by itself once `target` is gone; kill it
 * (`watchdog.kill()`) when stopping `target` on purpose. `leftover`, a directory `target` works
 * in, is removed with it.
 *
 * @example const relay = spawn(process.execPath, [bin]); if (relay.pid) watchOrphan(relay.pid);
 */
export function watchOrphan(target: number, leftover?: string): ChildProcess {
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `while kill -0 "$1" && kill -0 "$2"; do sleep 1; done 2>/dev/null
       kill -0 "$1" 2>/dev/null || { kill -KILL "$2"; [ -z "$3" ] || rm -rf "$3"; }`,
      'rims-orphan-watchdog',
      String(process.pid),
      String(target),
      leftover ?? '',
    ],
    { detached: true, stdio: 'ignore' },
  );
  // Neither its handle nor its exit may keep a test process alive.
  watchdog.unref();
  return watchdog;
}
