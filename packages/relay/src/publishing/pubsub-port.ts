import type { Topic } from '@google-cloud/pubsub';
import { eventMessage } from '../event-message.js';
import type { PendingRow } from '../queries/index.js';

/**
 * The publish loop's view of Pub/Sub: hand one event to the client under its ordering key.
 *
 * @example const port = topicPort(pubsub.topic('rims-item-events', { messageOrdering: true }));
 */
export interface PublishPort {
  /**
   * Queues `row`'s message and calls `settled` once Pub/Sub accepted it (no error) or the client
   * gave up on it. The client calls back synchronously when it rejects a message queued behind a
   * failure, before it forgets the failure: the loop relies on that to block the subject in time.
   *
   * @throws {UnpublishableEventError} when the event cannot be turned into a message
   */
  publish(row: PendingRow, settled: (error: Error | null | undefined) => void): void;
}

/** The {@link PublishPort} of a topic opened with `messageOrdering: true`. */
export function topicPort(topic: Topic): PublishPort {
  return {
    publish(row, settled) {
      topic.publishMessage(eventMessage(row), (error) => {
        settled(error);
      });
    },
  };
}
