import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestPubSub, useScratchDirectory } from '@rims/test-harness/vitest';
import { MERGER_METRIC_NAMES } from '../src/index.js';
import { runCli } from '../src/cli/cli.js';

const pubsub = useTestPubSub();
const dir = useScratchDirectory('merger-otel');

/** A local OTLP/HTTP endpoint that keeps what it is sent. */
async function collector() {
  const received: { path: string; body: string }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('latin1') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${String(port)}`, received, close: () => server.close() };
}

async function cli(argv: string[], env: Record<string, string>) {
  let stdout = '';
  const code = await runCli(
    argv,
    { LOG_LEVEL: 'silent', PUBSUB_EMULATOR_HOST: pubsub.host, PUBSUB_PROJECT_ID: pubsub.projectId, ...env },
    { stdout: (text) => (stdout += text), stderr: () => undefined, onStopSignal: () => undefined, cwd: dir },
  );
  return { code, stdout };
}

describe('OpenTelemetry metrics of rims-merger', () => {
  it('exports the check and run figures over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const otlp = await collector();
    try {
      const warehouse = { WAREHOUSE_URL: `duckdb://${join(dir, 'otel.duckdb')}` };
      expect((await cli(['provision', '--only', 'warehouse'], warehouse)).code).toBe(0);
      const env = { ...warehouse, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url };
      expect((await cli(['run'], env)).code).toBe(0);
      // An empty warehouse has no heartbeat: a breach, exit 1; the figures are exported all the same.
      const check = await cli(['check'], env);
      expect(check.code, check.stdout).toBe(1);
      expect(check.stdout).toMatch(/^heartbeat-age +none +threshold 300s +breach /m);
      const bodies = otlp.received.filter((request) => request.path === '/v1/metrics').map((r) => r.body);
      expect(bodies.join('\n')).toContain('rims_merger_runs');
      expect(bodies.join('\n')).toContain(MERGER_METRIC_NAMES.rejectedRatio);
    } finally {
      otlp.close();
    }
  });

  it('exports nothing without an endpoint (no-op meter)', async () => {
    const otlp = await collector();
    try {
      const warehouse = { WAREHOUSE_URL: `duckdb://${join(dir, 'quiet.duckdb')}` };
      await cli(['provision', '--only', 'warehouse'], warehouse);
      await cli(['check'], warehouse);
      expect(otlp.received).toEqual([]);
    } finally {
      otlp.close();
    }
  });
});
