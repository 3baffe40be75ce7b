import { execFile } from 'node:child_process';

/** How a command ended, with its output for assertions and failure messages. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment a packed package sees: PATH and HOME only (HOME keeps npm's cache), so nothing
 * of the workspace leaks in, least of all the `npm_config_*` variables pnpm sets for its scripts.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    METADATA_SERVER_DETECTION: 'none',
    ...extra,
  };
}

/**
 * Runs `file args` in `cwd` and resolves with its exit status and output; never rejects on a
 * non-zero exit, so the caller's assertion shows the output.
 *
 * @example const { code, stdout } = await runCommand('npm', ['--version'], tmpdir(), cleanEnv());
 */
export function runCommand(
  file: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The output of a failed command, for an assertion message. */
export function explain(result: CommandResult): string {
  return `exit ${String(result.code)}\n${result.stdout}\n${result.stderr}`.slice(-20_000);
}
