import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const versionOf = (dir: string) =>
  (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;

function dryRun(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['.ci/release', '--dry-run'],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: '/home/ci', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('the release script (.ci/release --dry-run)', () => {
  it('publishes with Changesets and tags each image with its package version, never latest', async () => {
    const { code, stdout, stderr } = await dryRun({
      RIMS_NPM_REGISTRY: 'https://europe-west1-npm.pkg.dev/acme/rims-npm/',
      RIMS_IMAGE_REPOSITORY: 'europe-west1-docker.pkg.dev/acme/rims',
    });
    expect(code, stderr).toBe(0);
    const commands = stdout.split('\n').filter((line) => line.startsWith('+ '));
    expect(commands).toContain(
      '+ pnpm config set --location project @rims:registry https://europe-west1-npm.pkg.dev/acme/rims-npm/',
    );
    expect(commands).toContain('+ pnpm exec changeset publish');
    for (const name of ['relay', 'merger']) {
      const image = `europe-west1-docker.pkg.dev/acme/rims/rims-${name}:${versionOf(`packages/${name}`)}`;
      expect(
        commands.find((line) => line.startsWith(`+ docker build -f packages/${name}/Dockerfile`)),
      ).toContain(` -t ${image} .`);
      expect(commands).toContain(`+ docker push ${image}`);
    }
    expect(stdout).not.toContain(':latest');
  });
});
