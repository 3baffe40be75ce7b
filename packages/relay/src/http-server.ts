import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * What the probes report.
 *
 * @example if (!relay.health().ready) console.log(relay.health().details.lastError);
 */
export interface HealthReport {
  /** False only when the relay is wedged or failed: restart it. */
  readonly healthy: boolean;
  /** True while the relay can do its job: database reachable, leases renewed, Pub/Sub accepting. */
  readonly ready: boolean;
  readonly details: Record<string, unknown>;
}

/**
 * Serves `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text format).
 * Probes answer 200 or 503 with a JSON body that says why.
 */
export async function startHttpServer(options: {
  port: number;
  host: string;
  registry: Registry;
  health: () => HealthReport;
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': options.registry.contentType }).end(text);
        })
        .catch((error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
        });
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const report = options.health();
      const ok = path === '/healthz' ? report.healthy : report.ready;
      response
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...report.details }));
      return;
    }
    response
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /healthz, /readyz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
