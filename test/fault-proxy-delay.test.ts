import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '@rims/test-harness';

/** An echo server: what a client sends through the proxy comes back through it. */
let echo: Server;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const address = echo.address();
  proxy = await startFaultProxy(
    `127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}`,
  );
});

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

async function connected(): Promise<Socket> {
  const socket = connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Milliseconds from writing one byte to reading it back. */
async function roundTrip(socket: Socket): Promise<number> {
  const started = performance.now();
  const back = once(socket, 'data');
  socket.write('x');
  await back;
  return performance.now() - started;
}

describe('fault proxy delay', () => {
  it('adds the delay each way to a round trip, and nothing once lifted', async () => {
    const socket = await connected();
    try {
      await roundTrip(socket);
      // 100 ms each way: far above a loopback round trip, even on a loaded machine.
      proxy.delay(100);
      const delayed = await roundTrip(socket);
      proxy.delay(undefined);
      const lifted = await roundTrip(socket);
      expect(delayed).toBeGreaterThanOrEqual(198);
      expect(delayed).toBeLessThan(200 + 1_000);
      expect(lifted).toBeLessThan(100);
    } finally {
      socket.destroy();
    }
  });

  it('keeps the bytes in order when the delay changes while they flow', async () => {
    const socket = await connected();
    try {
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.setNoDelay(true);
      const sent: string[] = [];
      // 30 groups of 10 writes, 3 ms apart, so that the proxy reads the groups separately. Groups
      // 10 to 19 are held 30 ms, 20 to 24 not at all, the rest 2 ms: a chunk that overtook an
      // earlier one would show as bytes out of order.
      for (let group = 0; group < 30; group++) {
        if (group === 10) proxy.delay(30);
        if (group === 20) proxy.delay(undefined);
        if (group === 25) proxy.delay(2);
        for (let i = group * 10; i < group * 10 + 10; i++) {
          sent.push(`${String(i)},`);
          socket.write(`${String(i)},`);
        }
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const expected = sent.join('');
      const deadline = performance.now() + 5_000;
      while (Buffer.concat(received).length < expected.length && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(Buffer.concat(received).toString()).toBe(expected);
    } finally {
      proxy.delay(undefined);
      socket.destroy();
    }
  });
});
