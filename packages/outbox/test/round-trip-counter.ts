import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that counts the round trips its clients make: the frontend
 * messages after which a client waits for the server's ReadyForQuery, Query ('Q', the simple
 * protocol) and Sync ('S', the end of an extended-protocol exchange). Counting on the wire sees
 * what the driver really sends, whatever kysely or `pg` do above it.
 */
export interface RoundTripCounter {
  /** `postgres://` URL of the proxy for `database`. */
  url(database: string): string;
  /** Round trips since the last reset, and the simple-protocol query texts among them. */
  readonly roundTrips: number;
  readonly simpleQueries: readonly string[];
  reset(): void;
  close(): Promise<void>;
}

/** Starts a {@link RoundTripCounter} in front of the PostgreSQL server of `postgresUrl`. */
export async function startRoundTripCounter(postgresUrl: string): Promise<RoundTripCounter> {
  const target = new URL(postgresUrl);
  let roundTrips = 0;
  let simpleQueries: string[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (chunk: Buffer) => client.write(chunk));

    // The first message (StartupMessage) has no type byte; every later one is type, length, body.
    let started = false;
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 4) return;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) return;
          buffered = buffered.subarray(length);
          started = true;
          continue;
        }
        if (buffered.length < 5) return;
        const type = String.fromCharCode(buffered[0] ?? 0);
        const length = buffered.readInt32BE(1);
        if (buffered.length < 1 + length) return;
        if (type === 'Q') {
          roundTrips += 1;
          simpleQueries.push(buffered.subarray(5, length).toString('utf8'));
        }
        if (type === 'S') roundTrips += 1;
        buffered = buffered.subarray(1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the counter has no port');

  return {
    url(database) {
      const url = new URL(postgresUrl);
      url.hostname = '127.0.0.1';
      url.port = String(address.port);
      url.pathname = `/${database}`;
      return url.toString();
    },
    get roundTrips() {
      return roundTrips;
    },
    get simpleQueries() {
      return simpleQueries;
    },
    reset() {
      roundTrips = 0;
      simpleQueries = [];
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
