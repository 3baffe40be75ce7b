import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A Dockerfile read for checks that need no container engine. */
export interface Dockerfile {
  /** Instructions, continuation lines joined, comments and blank lines dropped. */
  readonly instructions: readonly string[];
  /** The `FROM` lines. */
  readonly stages: readonly string[];
  /** Instructions of the last stage, from its `FROM`. */
  readonly runtime: readonly string[];
  /** The default of `ARG NODE_IMAGE`, if any. */
  readonly nodeImage: string | undefined;
  /** The `ENTRYPOINT` of the last stage, as its JSON array. */
  readonly entrypoint: readonly string[];
  /** The `pnpm ... deploy ... /out` command of the build stage. */
  readonly deploy: string | undefined;
}

/**
 * Reads a Dockerfile into the parts the image tests check.
 *
 * @example const file = readDockerfile('packages/relay/Dockerfile'); file.runtime.includes('USER node')
 */
export function readDockerfile(path: string): Dockerfile {
  const instructions = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));
  const runtime = instructions.slice(instructions.lastIndexOf(stages.at(-1) ?? ''));
  const entrypoint = runtime.find((line) => line.startsWith('ENTRYPOINT '));
  return {
    instructions,
    stages,
    runtime,
    nodeImage: /^ARG NODE_IMAGE=(\S+)$/m.exec(instructions.join('\n'))?.[1],
    entrypoint: JSON.parse(entrypoint?.slice('ENTRYPOINT '.length) ?? '[]') as string[],
    deploy: instructions
      .find((line) => line.includes(' deploy '))
      ?.split('&&')
      .at(-1)
      ?.trim(),
  };
}

/**
 * Runs the Dockerfile's `pnpm deploy` from the repository root into `target` instead of `/out`: what
 * the image holds, built without a container engine.
 */
export function runDeploy(
  repoRoot: string,
  deploy: string,
  target: string,
): { status: number | null; stderr: string } {
  const result = spawnSync('pnpm', deploy.replace('/out', target).split(' ').slice(1), {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stderr: result.stderr };
}
