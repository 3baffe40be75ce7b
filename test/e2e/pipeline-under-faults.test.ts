import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { harnessContext } from '@rims/test-harness/vitest';
import { runFaultScenario } from './fault-scenario.js';

// Seeded: a failing run is repeated exactly with E2E_SEED=<the printed seed>.
const seed = Number(process.env.E2E_SEED ?? randomInt(1, 1_000_000));

describe('the pipeline under faults', () => {
  for (const relayReplicas of [1, 2]) {
    it(`ends with the warehouse equal to PostgreSQL (${String(relayReplicas)} relay replica${relayReplicas > 1 ? 's' : ''}, seed ${String(seed)})`, async () => {
      const context = harnessContext();
      const result = await runFaultScenario({
        postgresUrl: context.postgresUrl,
        templateDatabase: context.templateDatabase,
        seed: seed + relayReplicas,
        items: 2_500,
        relayReplicas,
        eventsPerSecond: 120,
        trafficMs: 30_000,
        log: (line) => {
          console.log(`[e2e ${String(relayReplicas)} relay${relayReplicas > 1 ? 's' : ''}] ${line}`);
        },
      });

      expect(result.emulatorRestarts).toBe(1);
      expect(result.relayKills).toBeGreaterThan(0);
      expect(result.landerKills).toBeGreaterThan(0);
      expect(result.relayKills + result.landerKills).toBeGreaterThan(2);
      expect(result.reconciliation.differing).toEqual([]);
      expect(result.reconciliation.missing).toEqual([]);
      expect(result.reconciliation.unexpected).toEqual([]);
      expect(result.reconciliation.ok).toBe(true);
      expect(result.audit.clean, JSON.stringify(result.audit, null, 2)).toBe(true);
      expect(result.merged, 'one core row per event written').toBe(result.written);
      expect(result.published).toBe(result.written);
    }, 240_000);
  }
});
