import { type PubSub, v1 } from '@google-cloud/pubsub';

/** Most dead letters counted; more are reported as this many (the threshold is far lower). */
export const DEAD_LETTER_COUNT_CAP = 1_000;

/**
 * Counts the messages waiting in a subscription by pulling them and handing them straight back
 * (ack deadline 0): nothing is acknowledged, so they stay for inspection. Exact on the emulator and
 * up to {@link DEAD_LETTER_COUNT_CAP}; on Google Cloud a pull may return fewer than are waiting, so it
 * is a lower bound there, and the alert policy on `subscription/num_undelivered_messages` is the
 * authoritative figure.
 *
 * @example const waiting = await countWaitingMessages(pubsub, 'rims-item-events-dead-letter');
 */
export async function countWaitingMessages(pubsub: PubSub, subscriptionId: string): Promise<number> {
  await pubsub.getClientConfig();
  const name = pubsub.subscription(subscriptionId).name;
  const subscriber = new v1.SubscriberClient({
    ...pubsub.options,
    port: pubsub.options.port === undefined ? undefined : Number(pubsub.options.port),
  });
  const seen = new Set<string>();
  const ackIds: string[] = [];
  try {
    // Pulled messages stay leased until handed back, so each pull returns others, until none is left.
    while (seen.size < DEAD_LETTER_COUNT_CAP) {
      const [response] = await subscriber.pull(
        { subscription: name, maxMessages: DEAD_LETTER_COUNT_CAP - seen.size, returnImmediately: true },
        { timeout: 10_000 },
      );
      const received = response.receivedMessages ?? [];
      if (received.length === 0) break;
      for (const message of received) {
        if (message.ackId) ackIds.push(message.ackId);
        seen.add(message.message?.messageId ?? message.ackId ?? '');
      }
    }
    return seen.size;
  } finally {
    if (ackIds.length > 0)
      await subscriber.modifyAckDeadline({ subscription: name, ackIds, ackDeadlineSeconds: 0 });
    await subscriber.close();
  }
}
