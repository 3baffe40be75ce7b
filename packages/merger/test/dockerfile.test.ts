import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDockerfile, runDeploy } from '@rims/test-harness';
import { useScratchDirectory } from '@rims/test-harness/vitest';

// No container engine runs here: these check what can be checked without one. The image's
// contents are what `pnpm deploy` produces, so that is built and run for real.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '..', '..');
const dockerfile = readDockerfile(join(packageDir, 'Dockerfile'));

describe('the merger Dockerfile', () => {
  const out = useScratchDirectory('merger-deploy');

  it('is multi-stage on a pinned Node.js 22 glibc image and runs as a non-root user', () => {
    expect(dockerfile.stages).toHaveLength(2);
    // DuckDB's bindings are built for glibc: not an Alpine (musl) image.
    expect(dockerfile.nodeImage).toMatch(/^node:22\.\d+\.\d+-bookworm-slim$/);
    expect(dockerfile.runtime.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(dockerfile.runtime.some((line) => line.startsWith('COPY --from=build /out'))).toBe(true);
    expect(dockerfile.entrypoint).toEqual(['node', 'dist/bin.js']);
    expect(dockerfile.runtime).toContain('CMD ["run"]');
  });

  it('deploys a self-contained merger that runs against a DuckDB file', () => {
    expect(dockerfile.deploy).toBe(
      'pnpm --config.inject-workspace-packages=true --filter @rims/merger --prod --offline deploy /out',
    );
    const target = join(out, 'app');
    const result = runDeploy(repoRoot, dockerfile.deploy ?? '', target);
    expect(result.status, result.stderr).toBe(0);
    // The job's default command, against a local warehouse: provision, then run.
    const env = {
      PATH: process.env.PATH ?? '',
      WAREHOUSE_URL: `duckdb://${join(out, 'warehouse.duckdb')}`,
      LOG_LEVEL: 'warn',
    };
    const provision = spawnSync(process.execPath, ['dist/bin.js', 'provision', '--only', 'warehouse'], {
      cwd: target,
      env,
      encoding: 'utf8',
    });
    expect(provision.status, provision.stderr).toBe(0);
    const run = spawnSync(process.execPath, ['dist/bin.js', 'run'], { cwd: target, env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('succeeded');
    // Production dependencies only.
    expect(existsSync(join(target, 'node_modules', '@google-cloud', 'bigquery'))).toBe(true);
    expect(existsSync(join(target, 'node_modules', '@rims', 'test-harness'))).toBe(false);
  });
});
