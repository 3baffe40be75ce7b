import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy that can stop passing bytes either way, as a network partition does. */
export interface FreezableProxy {
  /** The URL to connect through the proxy (the target URL with the proxy's port). */
  readonly url: string;
  /** From now on, bytes are dropped: queries and connection attempts hang rather than fail. */
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port in front of the PostgreSQL at `targetUrl`. */
export async function freezableProxy(targetUrl: string): Promise<FreezableProxy> {
  const target = new URL(targetUrl);
  let frozen = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    track(client);
    track(upstream);
    client.on('data', (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!frozen) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: url.toString(),
    freeze() {
      frozen = true;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
