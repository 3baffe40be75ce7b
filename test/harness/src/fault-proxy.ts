import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from './wait-for.js';

/** The faults a {@link FaultProxy} injects. */
export type Fault =
  /** Every open connection is cut at once (both sides see a reset or an end). */
  | 'drop'
  /** New connections are accepted and closed at once, as a crashed or restarting server does. */
  | 'refuse'
  /** No byte passes either way; open connections hang, as in a network partition. */
  | 'stall';

/**
 * A TCP proxy on a loopback port in front of a real server (the Pub/Sub emulator, PostgreSQL) that
 * injects network faults on command: the black-box chaos tests point the binaries at it.
 */
export interface FaultProxy {
  /** `127.0.0.1:<port>`: where clients connect instead of the target. */
  readonly host: string;
  readonly port: number;
  /**
   * Injects `faults` for `ms` milliseconds, then passes traffic again. `drop` acts once at the start
   * (and connections opened during the window are refused or stalled if those faults are named).
   */
  inject(faults: readonly Fault[], ms: number): Promise<void>;
  /**
   * Ends the current fault window now (its `inject` resolves), for tests that end an outage on an
   * event, such as the client's n-th reconnect attempt, rather than after a fixed time.
   */
  heal(): void;
  /**
   * Lets at most `bytesPerSecond` through from clients to the target, across all connections, in
   * arrival order; the rest queues in the proxy (undefined: no limit). What a server that does less
   * than it is sent looks like: requests a client gave up on still wait their turn ahead of its
   * retries. Answers are not slowed.
   */
  throttle(bytesPerSecond: number | undefined): void;
  /** Bytes from clients queued by {@link throttle} and not yet passed on. */
  readonly throttled: number;
  /**
   * Holds every chunk `oneWayMs` milliseconds before passing it on, both ways and in order, as a
   * network with a round trip of twice that does (undefined or 0: no delay). Node's timers count
   * whole milliseconds, so a fraction is rounded up to 1 ms. The benchmarks use it to measure a
   * database client over a network such as Cloud SQL's instead of loopback.
   */
  delay(oneWayMs: number | undefined): void;
  /** How many connections were cut, refused and stalled so far. */
  readonly counts: { readonly dropped: number; readonly refused: number; readonly stalls: number };
  close(): Promise<void>;
}

/**
 * Starts a {@link FaultProxy} in front of `target` (`host:port`).
 *
 * @example
 * const proxy = await startFaultProxy(emulatorHost);
 * await proxy.inject(['drop', 'refuse'], 1_500); // clients reconnect after 1.5 s
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost = '127.0.0.1', targetPort = '0'] = target.split(':');
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let refusing = false;
  let stalled = false;
  const counts = { dropped: 0, refused: 0, stalls: 0 };

  const server: Server = createServer((client) => {
    client.on('error', () => client.destroy());
    if (refusing) {
      counts.refused += 1;
      client.destroy();
      return;
    }
    const upstream = connect(Number(targetPort), targetHost);
    upstream.on('error', () => upstream.destroy());
    const pair = { client, upstream };
    pairs.add(pair);
    // While stalled, bytes are held back (not lost): TCP does not lose bytes, it only delays them.
    const pipe = (from: Socket, to: Socket, limited: boolean) => {
      const pass = (chunk: Buffer) => {
        if (limited && bytesPerSecond !== undefined) {
          link.push({ to, chunk });
          throttled += chunk.length;
          return;
        }
        if (!stalled) {
          to.write(chunk);
          return;
        }
        from.pause();
        const resume = () => {
          to.write(chunk);
          from.resume();
        };
        waiting.push(resume);
      };
      // Delayed chunks wait in one queue per direction, so they pass in order whatever the delay
      // was when each arrived (a chunk after the delay is lifted still waits for those before it).
      const delayed: { chunk: Buffer; due: number }[] = [];
      let timer: NodeJS.Timeout | undefined;
      const release = () => {
        timer = undefined;
        while (delayed.length > 0 && (delayed[0]?.due ?? 0) <= performance.now()) {
          const next = delayed.shift();
          if (next && !to.destroyed) pass(next.chunk);
        }
        const first = delayed[0];
        if (first) timer = setTimeout(release, Math.max(1, first.due - performance.now()));
      };
      from.on('data', (chunk: Buffer) => {
        if (delayMs === 0 && delayed.length === 0) {
          pass(chunk);
          return;
        }
        delayed.push({ chunk, due: performance.now() + delayMs });
        timer ??= setTimeout(release, Math.max(1, delayMs));
      });
      from.on('close', () => {
        clearTimeout(timer);
      });
    };
    pipe(client, upstream, true);
    pipe(upstream, client, false);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  let waiting: (() => void)[] = [];
  let delayMs = 0;
  // The throttled link: chunks in arrival order, a budget refilled every tick.
  let bytesPerSecond: number | undefined;
  let link: { to: Socket; chunk: Buffer }[] = [];
  let throttled = 0;
  let budget = 0;
  const TICK_MS = 10;
  // Runs only while a throttle is set: unthrottled proxies wake no timer.
  let ticker: NodeJS.Timeout | undefined;
  const tick = () => {
    const rate = bytesPerSecond ?? Infinity;
    budget = Math.min(budget + (rate * TICK_MS) / 1_000, rate);
    while (link.length > 0 && budget > 0) {
      const next = link.shift();
      if (!next) break;
      budget -= next.chunk.length;
      throttled -= next.chunk.length;
      if (!next.to.destroyed) next.to.write(next.chunk);
    }
  };
  let endWindow: (() => void) | undefined;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    host: `127.0.0.1:${String(port)}`,
    port,
    counts,
    async inject(faults, ms) {
      if (faults.includes('drop')) {
        counts.dropped += pairs.size;
        for (const { client, upstream } of [...pairs]) {
          client.resetAndDestroy();
          upstream.destroy();
        }
        pairs.clear();
      }
      refusing = faults.includes('refuse');
      stalled = faults.includes('stall');
      if (stalled) counts.stalls += 1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        endWindow = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      endWindow = undefined;
      refusing = false;
      stalled = false;
      const resumes = waiting;
      waiting = [];
      for (const resume of resumes) resume();
    },
    heal() {
      endWindow?.();
    },
    throttle(limit) {
      bytesPerSecond = limit;
      if (limit !== undefined) {
        ticker ??= setInterval(tick, TICK_MS).unref();
        return;
      }
      clearInterval(ticker);
      ticker = undefined;
      // Unthrottled: what queued goes through at once, in order.
      for (const { to, chunk } of link) if (!to.destroyed) to.write(chunk);
      link = [];
      throttled = 0;
    },
    get throttled() {
      return throttled;
    },
    delay(oneWayMs) {
      delayMs = oneWayMs ?? 0;
    },
    close() {
      clearInterval(ticker);
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

/**
 * A Pub/Sub (or any server) outage that ends on the client's `attempts`-th refused reconnect: cuts
 * every connection through `proxy`, refuses new ones until that many more were refused, then passes
 * traffic again. A client's reconnect backoff has then grown as after a long outage (gRPC's: about
 * 1.6^attempts seconds), whatever the machine's speed. Resolves when traffic passes again.
 *
 * @example
 * const outage = refuseReconnects(proxy, 6);
 * // ... give the client something to send meanwhile
 * await outage;
 */
export async function refuseReconnects(
  proxy: FaultProxy,
  attempts: number,
  timeoutMs = 60_000,
): Promise<void> {
  const outage = proxy.inject(['drop', 'refuse'], timeoutMs * 2);
  const before = proxy.counts.refused;
  try {
    await waitFor(() => proxy.counts.refused >= before + attempts, {
      timeoutMs,
      intervalMs: 20,
      description: `${String(attempts)} refused reconnect attempts`,
    });
  } finally {
    proxy.heal();
    await outage;
  }
}
