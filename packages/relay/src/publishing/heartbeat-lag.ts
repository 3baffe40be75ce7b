import { HEARTBEAT_EVENT_TYPE } from '@rims/schemas';
import type { RelayMetrics } from '../metrics.js';
import type { PendingRow } from '../queries/index.js';

/**
 * Sets the heartbeat commit-to-publish gauge from the newest heartbeat Pub/Sub just accepted: its
 * `data.sent_at` was taken as its outbox transaction committed.
 */
export function observeHeartbeatLag(metrics: RelayMetrics, accepted: readonly PendingRow[]): void {
  for (let index = accepted.length - 1; index >= 0; index -= 1) {
    const row = accepted[index];
    if (row?.type !== HEARTBEAT_EVENT_TYPE) continue;
    const sentAt = Date.parse(String((row.data as { sent_at?: unknown } | null)?.sent_at));
    if (Number.isFinite(sentAt)) metrics.heartbeatPublishLagSeconds.set((Date.now() - sentAt) / 1000);
    return;
  }
}
