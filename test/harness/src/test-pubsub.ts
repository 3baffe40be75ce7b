import { randomBytes } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, inject } from 'vitest';
import './context.js';
import { emulatorClientConfig } from './emulator-client-config.js';

/** Pub/Sub for one test file: a client on the run's emulator and names no other file uses. */
export interface TestPubSub {
  readonly host: string;
  readonly projectId: string;
  /** A client bound to the emulator, closed after the file. */
  client(): PubSub;
  /** `prefix-<random>`: topic and subscription names unique to this file. */
  uniqueName(prefix: string): string;
}

/**
 * The run's Pub/Sub emulator, for the calling test file.
 *
 * @example
 * const pubsub = useTestPubSub();
 * const [topic] = await pubsub.client().createTopic(pubsub.uniqueName('events'));
 */
export function useTestPubSub(): TestPubSub {
  const clients: PubSub[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
  });
  const context = () => inject('rims');
  return {
    get host() {
      return context().pubsubEmulatorHost;
    },
    get projectId() {
      return context().pubsubProjectId;
    },
    client() {
      const client = new PubSub(
        emulatorClientConfig(context().pubsubEmulatorHost, context().pubsubProjectId),
      );
      clients.push(client);
      return client;
    },
    uniqueName(prefix) {
      return `${prefix}-${randomBytes(4).toString('hex')}`;
    },
  };
}
