import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '@rims/test-harness/vitest';
import { runCli } from '../src/cli/cli.js';

const dir = useScratchDirectory('merger-run-cli');

/** runCli in this process, its output captured, with stop signals sent by `stop`. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const handlers: ((signal: string) => void)[] = [];
  const code = await runCli(argv, env, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    onStopSignal: (handler) => handlers.push(handler),
    cwd: dir,
  });
  return { code, stdout, stderr, handlers };
}

describe('runCli (rims-merger without a process)', () => {
  it('prints the BigQuery statements, each under its file header', async () => {
    const { code, stdout, handlers } = await cli(['sql', '--dialect', 'bigquery']);
    expect(code).toBe(0);
    expect(stdout).toContain('-- ===== bigquery/ddl/006_item_bucket.sql');
    expect(stdout).toContain('ON t.item_bucket IN UNNEST(@buckets) AND t.item_id = s.item_id');
    // A command that does not run until stopped leaves the signals alone.
    expect(handlers).toEqual([]);
  });

  it('names a bad setting and the fix, exit 2; an unknown command, exit 2; --help, exit 0', async () => {
    const bad = await cli(['audit'], { MERGER_LOOKBACK: 'soon', WAREHOUSE_URL: 'duckdb://relative.duckdb' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("MERGER_LOOKBACK: 'soon' is not a duration");
    expect(bad.stderr).toContain('needs an absolute path');
    expect((await cli(['merge'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rims-merger <command> [flags]');
  });

  it('provisions and audits a DuckDB warehouse, logging JSON lines to stderr only', async () => {
    const env = { WAREHOUSE_URL: `duckdb://${join(dir, 'audit.duckdb')}`, LOG_LEVEL: 'info' };
    expect((await cli(['provision', '--only', 'warehouse'], env)).code).toBe(0);
    const audit = await cli(['audit', '--json'], env);
    expect(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ clean: true, gaps: [], subjects: [] });
  });
});
