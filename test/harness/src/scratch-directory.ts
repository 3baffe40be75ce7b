import { makeOwnedDirectory, removeAbandonedDirectories } from './owner-tag.js';

/** Where tests keep their files: directories `rims-t-<label>-*` in the temporary directory. */
const SCRATCH_DIR_PREFIX = 'rims-t-';

/**
 * A new directory for a test's files (a DuckDB warehouse, a deployed package, a demo's working
 * directory), `$TMPDIR/rims-t-<label>-XXXXXX`, tagged with this process so that the setup of the
 * next run removes it if this one is killed before it does ({@link removeAbandonedScratchDirectories}).
 * The caller removes it when done; test files use `useScratchDirectory`, which does.
 *
 * @example const dir = makeScratchDirectory('merger-cli'); // /tmp/rims-t-merger-cli-Ab12Cd
 */
export function makeScratchDirectory(label: string): string {
  return makeOwnedDirectory(`${SCRATCH_DIR_PREFIX}${label}-`);
}

/**
 * Removes the scratch directories of test processes of this machine that are gone. Returns them.
 *
 * @example removeAbandonedScratchDirectories(); // at the start of a run
 */
export function removeAbandonedScratchDirectories(): string[] {
  return removeAbandonedDirectories(SCRATCH_DIR_PREFIX);
}
