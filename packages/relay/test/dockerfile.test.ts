import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDockerfile, runDeploy } from '@rims/test-harness';
import { useScratchDirectory } from '@rims/test-harness/vitest';
import { RELAY_BIN } from './helpers.js';

// No container engine runs here: these check what can be checked without one. The image's
// contents are what `pnpm deploy` produces, so that is built and run for real.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '..', '..');
const dockerfile = readDockerfile(join(packageDir, 'Dockerfile'));

describe('the relay Dockerfile', () => {
  const out = useScratchDirectory('relay-deploy');

  it('is multi-stage on a pinned Node.js 22 image and runs as a non-root user', () => {
    expect(dockerfile.stages).toHaveLength(2);
    expect(dockerfile.nodeImage).toMatch(/^node:22\.\d+\.\d+-/);
    expect(dockerfile.stages.every((line) => line.startsWith('FROM ${NODE_IMAGE}'))).toBe(true);
    expect(dockerfile.runtime.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(dockerfile.runtime.some((line) => line.startsWith('COPY --from=build /out'))).toBe(true);
  });

  it('has the entrypoint the tests start: node dist/bin.js in the deployed package', () => {
    expect(dockerfile.entrypoint).toEqual(['node', relative(packageDir, RELAY_BIN)]);
    expect(dockerfile.runtime).toContain('WORKDIR /app');
    expect(dockerfile.runtime.some((line) => line.startsWith('EXPOSE 9464'))).toBe(true);
  });

  it('deploys a self-contained relay whose entrypoint runs', () => {
    expect(dockerfile.deploy).toBe(
      'pnpm --config.inject-workspace-packages=true --filter @rims/relay --prod --offline deploy /out',
    );
    const target = join(out, 'app');
    const result = runDeploy(repoRoot, dockerfile.deploy ?? '', target);
    expect(result.status, result.stderr).toBe(0);
    const help = spawnSync(process.execPath, ['dist/bin.js', '--help'], { cwd: target, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('rims-relay --once');
    // The SQL files ship with @rims/sql, which the relay reads at run time.
    const sql = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import('@rims/sql').then((m) => console.log(m.listSql('postgres/relay').length))",
      ],
      { cwd: target, encoding: 'utf8' },
    );
    expect(Number(sql.stdout.trim())).toBeGreaterThan(10);
    // Production dependencies only.
    expect(existsSync(join(target, 'node_modules', '@google-cloud', 'pubsub'))).toBe(true);
    expect(existsSync(join(target, 'node_modules', 'cloudevents'))).toBe(false);
  });
});
