/**
 * Runs the relay chaos scenario many times (the long variant; CI runs a short one in chaos.test.ts).
 *
 *   pnpm build && pnpm exec tsx packages/relay/test/chaos/run-chaos.ts --runs 20 --duration 40s [--seed 7]
 *
 * One JSON line per run, then a summary; exit 1 when any run lost an event, delivered one out of
 * order, or left events pending. A failing run replays with its seed.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '@rims/schemas';
import { resolvePubSubEmulator } from '@rims/test-harness';
import { runChaos, type ChaosReport } from './scenario.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    duration: { type: 'string', default: '40s' },
    seed: { type: 'string' },
  },
});
const runs = Number(values.runs);
const durationMs = parseDuration(values.duration);
if (durationMs === undefined)
  throw new Error(`--duration ${values.duration} is not a duration such as 40s or 2m`);
const firstSeed = values.seed === undefined ? Math.floor(Math.random() * 1e6) : Number(values.seed);
const emulator = await resolvePubSubEmulator();
const reports: ChaosReport[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const report = await runChaos({
      seed: firstSeed + run,
      durationMs,
      emulatorHost: emulator.host,
      projectId: emulator.projectId,
      log: (line) => {
        process.stderr.write(`[seed ${String(firstSeed + run)}] ${line}\n`);
      },
    });
    reports.push(report);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
} finally {
  await emulator.stop();
}
const sum = (pick: (report: ChaosReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
const failed = reports.filter(
  (r) => r.lost > 0 || r.violations.length > 0 || r.leftPending > 0 || r.onceExitCodes.some((c) => c !== 0),
);
process.stdout.write(
  `${JSON.stringify({
    runs: reports.length,
    events: sum((r) => r.events),
    deliveries: sum((r) => r.deliveries),
    outages: sum((r) => r.outages),
    sigterms: sum((r) => r.sigterms),
    sigkills: sum((r) => r.sigkills),
    postgresRestarts: sum((r) => r.postgresRestarts),
    lost: sum((r) => r.lost),
    violations: sum((r) => r.violations.length),
    failedSeeds: failed.map((r) => r.seed),
  })}\n`,
);
process.exitCode = failed.length > 0 ? 1 : 0;
