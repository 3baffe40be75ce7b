import { PubSub, type ClientConfig } from '@google-cloud/pubsub';
import type { BackoffOptions } from './backoff.js';

/** Where the relay's Pub/Sub client connects. */
export interface PubSubTarget {
  readonly projectId: string;
  /** `host:port` of an emulator; unset for Google Cloud. */
  readonly emulatorHost?: string | undefined;
}

/**
 * The relay's Pub/Sub client, reconnecting no more slowly than the relay retries.
 *
 * Why the reconnect options: gRPC waits 1.6 times longer after each failed connection attempt, up
 * to 120 s, and a publish cannot start while its channel waits. A relay that lived through a minute
 * of outage could then sit idle for up to two more minutes after Pub/Sub was back. Capped at
 * `backoff.maxMs` (`RELAY_BACKOFF_MAX`), it is publishing again within that after Pub/Sub answers.
 * The attempts are TCP and HTTP/2 handshakes, cheap for Pub/Sub even from many replicas.
 *
 * @example
 * const pubsub = relayPubSubClient({ projectId: 'rims-prod' }, { initialMs: 100, maxMs: 30_000 });
 */
export function relayPubSubClient(target: PubSubTarget, backoff: BackoffOptions): PubSub {
  // The client hands every `grpc.*` option to its channels; ClientConfig does not declare them.
  const config: ClientConfig & Record<`grpc.${string}`, number> = {
    projectId: target.projectId,
    // An endpoint that is not a googleapis.com host puts the client in emulator mode.
    ...(target.emulatorHost ? { apiEndpoint: target.emulatorHost } : {}),
    'grpc.initial_reconnect_backoff_ms': Math.min(1_000, backoff.maxMs),
    'grpc.max_reconnect_backoff_ms': backoff.maxMs,
  };
  return new PubSub(config);
}
