import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase, spawnNode, uniqueDatabaseName, waitFor } from '@rims/test-harness';
import { harnessContext, useScratchDirectory } from '@rims/test-harness/vitest';

const DEMO_BIN = fileURLToPath(new URL('../../demo/dist/cli.js', import.meta.url));
const cwd = useScratchDirectory('demo');
const databases: string[] = [];
afterAll(async () => {
  for (const name of databases) await dropDatabase(harnessContext().postgresUrl, name);
});

/** `pnpm demo` as the README runs it, on the run's PostgreSQL and emulator, in a directory of its own. */
function startDemo(args: string[]) {
  const context = harnessContext();
  const database = uniqueDatabaseName('demo');
  databases.push(database);
  return spawnNode(
    DEMO_BIN,
    [...args, '--database', database],
    {
      DATABASE_URL: context.postgresUrl,
      PUBSUB_EMULATOR_HOST: context.pubsubEmulatorHost,
      PUBSUB_PROJECT_ID: context.pubsubProjectId,
    },
    { cwd },
  );
}

describe('pnpm demo', () => {
  it('runs the whole pipeline and ends with the warehouse equal to PostgreSQL', async () => {
    const demo = startDemo(['--items', '60', '--events-per-second', '30', '--duration', '4s', '--seed', '7']);
    const { code } = await demo.exited;
    const output = demo.output();
    expect(code, output).toBe(0);
    expect(output).toContain('seed 7');
    expect(output).toMatch(/written \d+ · published \d+ · landed \d+ · merged \d+/);
    expect(output).toContain('rims_analytics.potentially_committed_items:');
    expect(output).toContain('audit: clean');
    expect(output).toMatch(/heartbeat lag \(outbox commit -> rims_core\): \d+\.\d{3} s; newest heartbeat/);
    expect(output).toMatch(/reconciliation: (\d+)\/\1 items match PostgreSQL/);
  }, 120_000);

  it('--existing-items: items that predate the outbox are backfilled during the traffic and shown bootstrapped', async () => {
    const demo = startDemo(['--items', '40', '--existing-items', '300', '--duration', '3s', '--seed', '9']);
    const { code } = await demo.exited;
    const output = demo.output();
    expect(code, output).toBe(0);
    expect(output).toMatch(/backfill: 340 snapshots of 340 items \(300 of them predating the outbox\)/);
    expect(output).toMatch(
      /bootstrapped: 300\/300 items that predate the outbox are in rims_core.item_commitment_state/,
    );
    expect(output).toContain('audit: clean');
    // Every item now has events, so all 340 are reconciled.
    expect(output).toMatch(/reconciliation: 340\/340 items match PostgreSQL/);
  }, 180_000);

  it('stops everything and exits 130 on Ctrl-C', async () => {
    const demo = startDemo(['--items', '50', '--duration', '60s']);
    await waitFor(() => demo.output().includes('written'), {
      timeoutMs: 60_000,
      description: 'the first progress line',
    });
    demo.child.kill('SIGINT');
    const { code } = await demo.exited;
    expect(code, demo.output()).toBe(130);
    expect(demo.output()).toContain('stopped: relay, lander, merger, connections and the emulator');
  }, 120_000);

  it('names a bad flag and exits 2', async () => {
    const demo = startDemo(['--events-per-second', 'fast']);
    const { code } = await demo.exited;
    expect(code).toBe(2);
    expect(demo.output()).toContain('events-per-second');
    expect(demo.output()).toContain('usage: pnpm demo');
  });
});
