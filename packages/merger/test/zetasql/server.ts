/**
 * The ZetaSQL local service (the SQL front end BigQuery is built on), as `@fivetrandevelopers/zetasql`
 * ships it: a native gRPC server binary per platform, and a generated client. The package's own
 * `runServer` never resolves and writes the server's output to our stdout, so the binary is started
 * here, on a free loopback port, and stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ZetaSQLClient } from '@fivetrandevelopers/zetasql';
import type { AnalyzeRequest } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/AnalyzeRequest.js';
import type { AnalyzeResponse__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/AnalyzeResponse.js';
import type { ParseRequest } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/ParseRequest.js';
import type { ParseResponse__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/ParseResponse.js';
import type { LanguageOptionsRequest } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/LanguageOptionsRequest.js';
import type { LanguageOptionsProto__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';
import { freePort, waitFor } from '@rims/test-harness';

/** The binary for this machine; the package ships macOS and Linux builds for x86-64 and arm64. */
function serverBinary(): string {
  const lib = dirname(createRequire(import.meta.url).resolve('@fivetrandevelopers/zetasql'));
  const name = `remote_server${process.arch === 'arm64' ? '_arm' : ''}${process.platform === 'darwin' ? '' : '.so'}`;
  const path = join(lib, 'zetasql', name);
  if (!existsSync(path))
    throw new Error(
      `@fivetrandevelopers/zetasql has no server binary ${path} for ${process.platform}/${process.arch}`,
    );
  return path;
}

/** A running ZetaSQL local service and the calls the tests make on it. */
export interface ZetaSqlServer {
  parse(request: ParseRequest): Promise<ParseResponse__Output>;
  analyze(request: AnalyzeRequest): Promise<AnalyzeResponse__Output>;
  languageOptions(request: LanguageOptionsRequest): Promise<LanguageOptionsProto__Output>;
  stop(): Promise<void>;
}

/** A gRPC error's own message (`details`), which is ZetaSQL's error text. */
export function zetaSqlMessage(error: unknown): string {
  return (error as { details?: string }).details ?? (error as Error).message;
}

function call<Res>(method: string, request: unknown): Promise<Res> {
  const api = ZetaSQLClient.API as unknown as Record<
    string,
    (request: unknown, callback: (error: Error | null, response?: Res) => void) => void
  >;
  const fn = api[method];
  if (!fn) throw new Error(`the ZetaSQL client has no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(ZetaSQLClient.API, request, (error, response) => {
      if (error) reject(error);
      else if (response === undefined) reject(new Error(`ZetaSQL ${method} returned nothing`));
      else resolve(response);
    });
  });
}

/** Starts the ZetaSQL server on a free loopback port and waits until it answers. */
export async function startZetaSql(): Promise<ZetaSqlServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(serverBinary(), ['localhost', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  ZetaSQLClient.init(port);
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the ZetaSQL server exited: ${output}`);
      try {
        await call('formatSql', { sql: 'SELECT 1' });
        return true;
      } catch {
        return false;
      }
    },
    {
      timeoutMs: 60_000,
      description: () => `the ZetaSQL server on port ${String(port)} to answer (${output})`,
    },
  );
  return {
    parse: (request) => call('parse', request),
    analyze: (request) => call('analyze', request),
    languageOptions: (request) => call('getLanguageOptions', request),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}
