import type { CallOptions } from '@google-cloud/pubsub';

/**
 * Call options for the Pub/Sub client's Publish requests: each publish settles within about
 * `timeoutMs`, retried by the client meanwhile.
 *
 * Why not just `{ timeout }`: the client's own retry policy for Publish sleeps up to four times
 * longer after each failed attempt (100 ms, 400 ms, 1.6 s, 6.4 s, 25.6 s) and checks its deadline
 * only after sleeping. While Pub/Sub refuses connections, every attempt fails at once, so a publish
 * could settle tens of seconds after its deadline, holding its subject (and a restarted emulator's
 * whole backlog) that long. Here the sleeps stay short, so a publish overshoots its deadline by at
 * most a quarter of it; the relay's own backoff paces anything longer.
 */
export function publishCallOptions(timeoutMs: number): CallOptions {
  return {
    timeout: timeoutMs,
    retry: {
      backoffSettings: {
        initialRetryDelayMillis: Math.min(50, timeoutMs / 8),
        retryDelayMultiplier: 2,
        maxRetryDelayMillis: timeoutMs / 4,
        initialRpcTimeoutMillis: timeoutMs,
        rpcTimeoutMultiplier: 1,
        maxRpcTimeoutMillis: timeoutMs,
        totalTimeoutMillis: timeoutMs,
      },
    },
  };
}
