import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { toPubSubMessage } from '@rims/schemas';
import { emulatorClientConfig, spawnNode, waitFor } from '@rims/test-harness';
import { useTestPubSub, useScratchDirectory } from '@rims/test-harness/vitest';
import { MERGER_SETTINGS, flagOf } from '../src/config.js';
import { itemEvent } from './helpers.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const pubsub = useTestPubSub();
const dir = useScratchDirectory('merger-cli');

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', LOG_LEVEL: 'warn', ...env },
        cwd: dir,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('rims-merger (the binary)', () => {
  it('provisions, lands --once, runs and audits clean against the emulator and a DuckDB file', async () => {
    const env = {
      WAREHOUSE_URL: `duckdb://${join(dir, 'pipeline.duckdb')}`,
      PUBSUB_EMULATOR_HOST: pubsub.host,
      PUBSUB_PROJECT_ID: pubsub.projectId,
      PUBSUB_TOPIC: pubsub.uniqueName('cli-events'),
      PUBSUB_SUBSCRIPTION: pubsub.uniqueName('cli-raw'),
      PUBSUB_DEAD_LETTER_TOPIC: pubsub.uniqueName('cli-dead'),
    };
    const dryRun = await cli(['provision', '--dry-run'], env);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('planned  warehouse apply duckdb/ddl/002_raw_item_events.generated.sql');
    expect(dryRun.stdout).toContain(`planned  pubsub    create pull subscription ${env.PUBSUB_SUBSCRIPTION}`);

    const provisioned = await cli(['provision'], env);
    expect(provisioned.code, provisioned.stderr).toBe(0);
    expect(provisioned.stdout).toMatch(/created\s+pubsub\s+create topic/);
    expect((await cli(['provision'], env)).stdout).toMatch(/exists\s+pubsub\s+create topic/);

    const topic = pubsub.client().topic(env.PUBSUB_TOPIC);
    const events = [
      itemEvent('rims.item.committed.v1', 'cli-1', 1),
      itemEvent('rims.item.committed.v1', 'cli-2', 1),
      itemEvent('rims.item.released.v1', 'cli-2', 2),
    ];
    for (const event of events) await topic.publishMessage(toPubSubMessage(event));

    const landed = await cli(['land', '--once'], env);
    expect(landed.code, landed.stderr).toBe(0);
    expect(landed.stdout).toContain('landed 3 row(s)');

    const run = await cli(['run', '--lookback', '1d', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      outcome: string;
      chunks: { coreInserted: number; stateChanged: number }[];
    };
    expect(report).toMatchObject({ outcome: 'succeeded', chunks: [{ coreInserted: 3, stateChanged: 2 }] });

    const audit = await cli(['audit'], env);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    expect(audit.stdout.trim().split('\n').at(-1)).toBe('clean');
    // Four commands, each a process that loads the BigQuery and Pub/Sub clients: slow on a loaded machine.
  }, 120_000);

  it('provisions and lands under any project id on the emulator, such as bars', async () => {
    const env = {
      WAREHOUSE_URL: `duckdb://${join(dir, 'bars.duckdb')}`,
      PUBSUB_EMULATOR_HOST: pubsub.host,
      PUBSUB_PROJECT_ID: 'bars',
      PUBSUB_TOPIC: pubsub.uniqueName('bars-events'),
      PUBSUB_SUBSCRIPTION: pubsub.uniqueName('bars-raw'),
      PUBSUB_DEAD_LETTER_TOPIC: pubsub.uniqueName('bars-dead'),
    };
    const provisioned = await cli(['provision'], env);
    expect(provisioned.code, provisioned.stderr).toBe(0);
    expect(provisioned.stdout).toContain(`projects/bars/topics/${env.PUBSUB_TOPIC}`);

    const bars = new PubSub(emulatorClientConfig(pubsub.host, 'bars'));
    try {
      await bars
        .topic(env.PUBSUB_TOPIC)
        .publishMessage(toPubSubMessage(itemEvent('rims.item.committed.v1', 'bars-1', 1)));
    } finally {
      await bars.close();
    }
    const landed = await cli(['land', '--once'], env);
    expect(landed.code, landed.stderr).toBe(0);
    expect(landed.stdout).toContain('landed 1 row(s)');
  });

  it('prints the rendered SQL of either dialect', async () => {
    const bigquery = await cli(['sql', '--dialect', 'bigquery']);
    expect(bigquery.code).toBe(0);
    expect(bigquery.stdout).toContain('-- ===== bigquery/merge/020_core_item_events.sql');
    expect(bigquery.stdout).toContain('MERGE `rims_core`.item_events AS t');
    expect(bigquery.stdout).toContain('PARTITION BY TIMESTAMP_TRUNC(publish_time, DAY)');
    const duckdb = await cli(['sql', '--dialect', 'duckdb', '--raw-partition', 'HOUR']);
    expect(duckdb.stdout).toContain('MERGE INTO "rims_core".item_events AS t');
  });

  it('names every flag by the rule both binaries follow, and lets a flag override its variable', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    const undocumented = MERGER_SETTINGS.filter((setting) => !help.stdout.includes(`--${flagOf(setting)} `));
    expect(undocumented).toEqual([]);
    expect([flagOf('PUBSUB_TOPIC'), flagOf('MERGER_LOOKBACK')]).toEqual(['pubsub-topic', 'lookback']);

    const env = {
      WAREHOUSE_URL: `duckdb://${join(dir, 'flags.duckdb')}`,
      PUBSUB_EMULATOR_HOST: pubsub.host,
      PUBSUB_PROJECT_ID: pubsub.projectId,
      PUBSUB_TOPIC: 'from-the-environment',
    };
    const topic = pubsub.uniqueName('from-the-flag');
    const dryRun = await cli(['provision', '--dry-run', '--only', 'pubsub', '--pubsub-topic', topic], env);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(`create topic projects/${pubsub.projectId}/topics/${topic}`);
    expect(dryRun.stdout).not.toContain('from-the-environment');
  });

  it('names each bad setting and exits 2', async () => {
    const result = await cli(['run', '--lookback', 'two days', '--warehouse-url', 'postgres://db'], {
      MERGER_MAX_DELIVERY_ATTEMPTS: '3',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("MERGER_LOOKBACK: 'two days' is not a duration");
    expect(result.stderr).toContain("WAREHOUSE_URL: WAREHOUSE_URL 'postgres://db' is not a warehouse URL");
    expect(result.stderr).toContain('MERGER_MAX_DELIVERY_ATTEMPTS:');
    expect((await cli(['merge'])).code).toBe(2);
  });

  it('refuses a warehouse that is not there or not provisioned, naming provision, creating nothing', async () => {
    const missing = join(dir, 'no-such-dir', 'typo.duckdb');
    for (const command of [['run'], ['audit'], ['check'], ['rebuild-history']]) {
      const result = await cli(command, { WAREHOUSE_URL: `duckdb://${missing}` });
      expect(result.code, `${command.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(
        `WAREHOUSE_URL: there is no DuckDB warehouse at ${missing}; run \`rims-merger provision\` to create it, or fix the path`,
      );
    }
    expect(existsSync(join(dir, 'no-such-dir')), 'no directory created').toBe(false);
    // A dry run of provision plans every step and creates nothing either.
    const dryRun = await cli(['provision', '--dry-run', '--only', 'warehouse'], {
      WAREHOUSE_URL: `duckdb://${missing}`,
    });
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('item_commitment_state');
    expect(existsSync(join(dir, 'no-such-dir')), 'no directory created by a dry run').toBe(false);
    // A DuckDB file that holds no warehouse (or one of an older release).
    const empty = join(dir, 'empty.duckdb');
    (await DuckDBInstance.create(empty)).closeSync();
    const result = await cli(['run'], { WAREHOUSE_URL: `duckdb://${empty}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/does not exist.*run `rims-merger provision`/);
  });

  it('exits 2 for a window the run refuses, whether the configuration or the run finds it', async () => {
    const env = { WAREHOUSE_URL: `duckdb://${join(dir, 'windows.duckdb')}` };
    expect((await cli(['provision', '--only', 'warehouse'], env)).code).toBe(0);
    const toAlone = await cli(['run', '--to', '2026-01-01T00:00:00Z'], env);
    expect(toAlone.code).toBe(2);
    expect(toAlone.stderr).toContain('--to: needs --from');
    const future = await cli(['run', '--from', '1d', '--to', '2099-01-01T00:00:00Z'], env);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('is later than now');
    // Only runMerge sees that this window is empty (--to defaults to now).
    const empty = await cli(['run', '--from', '2099-01-01T00:00:00Z'], env);
    expect(empty.code, empty.stderr).toBe(2);
    expect(empty.stderr).toContain('--from must be before --to');
  });

  // Ten runs of the binary: the default 60 s is too short on a loaded machine.
  it('audits clean with events the next run merges, and reports findings with exit status 1', async () => {
    const env = { WAREHOUSE_URL: `duckdb://${join(dir, 'findings.duckdb')}` };
    expect((await cli(['provision', '--only', 'warehouse'], env)).code).toBe(0);
    const { openDuckDbWarehouse } = await import('../src/index.js');
    const { landRaw } = await import('./helpers.js');
    const landNow = async (messages: Parameters<typeof landRaw>[1]) => {
      const warehouse = await openDuckDbWarehouse(join(dir, 'findings.duckdb'));
      try {
        await landRaw(warehouse, messages);
      } finally {
        await warehouse.close();
      }
    };
    await landNow([{ body: itemEvent('rims.item.committed.v1', 'merged', 1), publishTime: new Date() }]);
    expect((await cli(['run'], env)).code).toBe(0);
    // Live traffic: landed after the run, inside the next run's window. Information, not a finding.
    await landNow([{ body: itemEvent('rims.item.committed.v1', 'unmerged', 1), publishTime: new Date() }]);
    const live = await cli(['audit'], env);
    expect(live.code, live.stdout + live.stderr).toBe(0);
    expect(live.stdout).toContain("1 event(s) not merged yet, inside the next run's window");
    expect(live.stdout.trim().split('\n').at(-1)).toBe('clean');

    // Landed five days late: behind the lookback (2d), so no incremental run will merge it.
    const late = itemEvent('rims.item.committed.v1', 'late', 1);
    await landNow([{ body: late, publishTime: new Date(Date.now() - 5 * 86_400_000) }]);
    const audit = await cli(['audit'], env);
    expect(audit.code).toBe(1);
    expect(audit.stdout).toContain(`behind lookback: event ${late.id}`);
    expect(audit.stdout).toContain('repair with: rims-merger run --from ');

    // A second late event an hour earlier: with --limit 1 only the older one is listed, but the
    // printout says so and the repair still reaches the newer one.
    const earlier = itemEvent('rims.item.committed.v1', 'late-earlier', 1);
    const earlierTime = new Date(Date.now() - 5 * 86_400_000 - 3_600_000);
    await landNow([{ body: earlier, publishTime: earlierTime }]);
    const cut = await cli(['audit', '--limit', '1'], env);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(`behind lookback: event ${earlier.id}`);
    expect(cut.stdout).not.toContain(`behind lookback: event ${late.id}`);
    expect(cut.stdout).toContain('behind lookback: showing 1 of 2 events (--limit 1)');
    const repair = /repair with: (rims-merger run --from (\S+) --to (\S+))/.exec(cut.stdout);
    expect(repair?.[1]).toBeDefined();
    expect((await cli(['run', '--from', repair?.[2] ?? '', '--to', repair?.[3] ?? ''], env)).code).toBe(0);
    const repaired = await cli(['audit', '--limit', '1'], env);
    expect(repaired.stdout).not.toContain('behind lookback');
  }, 120_000);

  it('still merges each cycle of `run --every --land` when landing fails', async () => {
    const env = {
      WAREHOUSE_URL: `duckdb://${join(dir, 'stuck.duckdb')}`,
      PUBSUB_EMULATOR_HOST: pubsub.host,
      PUBSUB_PROJECT_ID: pubsub.projectId,
      PUBSUB_SUBSCRIPTION: pubsub.uniqueName('stuck-raw'),
    };
    expect((await cli(['provision', '--only', 'warehouse'], env)).code).toBe(0);
    // A subscription without a dead-letter policy and an unwritable message: every drain throws
    // UndeliverableMessagesError.
    const [topic] = await pubsub.client().createTopic(pubsub.uniqueName('stuck-events'));
    await topic.createSubscription(env.PUBSUB_SUBSCRIPTION);
    await topic.publishMessage({ data: Buffer.from('[]') });
    await topic.publishMessage(toPubSubMessage(itemEvent('rims.item.committed.v1', 'stuck-1', 1)));
    const merger = spawnNode(
      bin,
      ['run', '--every', '1s', '--land'],
      { LOG_LEVEL: 'info', ...env },
      { cwd: dir },
    );
    try {
      await waitFor(
        () => merger.output().includes('landing failed') && merger.output().includes('merge run succeeded'),
        {
          timeoutMs: 30_000,
          description: 'a failed landing followed by a merge',
        },
      );
      expect(merger.output()).toContain('RIMS_MERGER_UNDELIVERABLE');
    } finally {
      expect((await merger.stop()).code, merger.output()).toBe(0);
    }
  });

  it('stops `run --every --land` promptly on SIGTERM, exiting 0', async () => {
    const env = {
      WAREHOUSE_URL: `duckdb://${join(dir, 'every.duckdb')}`,
      PUBSUB_EMULATOR_HOST: pubsub.host,
      PUBSUB_PROJECT_ID: pubsub.projectId,
      PUBSUB_TOPIC: pubsub.uniqueName('every-events'),
      PUBSUB_SUBSCRIPTION: pubsub.uniqueName('every-raw'),
      PUBSUB_DEAD_LETTER_TOPIC: pubsub.uniqueName('every-dead'),
    };
    expect((await cli(['provision'], env)).code).toBe(0);
    const merger = spawnNode(
      bin,
      ['run', '--every', '1s', '--land'],
      { LOG_LEVEL: 'info', ...env },
      { cwd: dir },
    );
    // Let it complete two cycles (so a finished wait's timer exists), then ask it to stop. Counted
    // from its log rather than slept for: on a loaded machine the start alone can take seconds.
    await waitFor(() => merger.output().split('merge run succeeded').length > 2, {
      timeoutMs: 30_000,
      description: 'two merge runs to be logged',
    });
    const asked = Date.now();
    expect((await merger.stop()).code, merger.output()).toBe(0);
    expect(Date.now() - asked, 'no timer of a finished wait may keep the process alive').toBeLessThan(5_000);
  });
});
