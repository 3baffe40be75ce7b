import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics.js';
import type { PendingRow } from '../queries/index.js';
import type { ParkedEvent } from './publish-loop.js';
import type { FailureDecision, RecordFailureCommand } from './scheduler-types.js';

/**
 * Tells operators what the scheduler decided about a recorded failure: logs (an outage's pauses
 * only at the first and every tenth wave, so an outage does not flood the log), the parked-events
 * counter, and the `onDead` hook.
 */
export function reportFailureDecision(
  decision: FailureDecision,
  failure: RecordFailureCommand<PendingRow>,
  message: string,
  options: {
    readonly logger: Logger;
    readonly metrics: RelayMetrics;
    readonly onDead?: (event: ParkedEvent) => void;
  },
): void {
  const { logger, metrics } = options;
  const { row, subject } = failure;
  switch (decision.action) {
    case 'pause':
      if (decision.systemicFailures === 1 || decision.systemicFailures % 10 === 0) {
        logger.warn(
          { err: failure.error, subject, failures: decision.systemicFailures, retryInMs: decision.pauseMs },
          'Pub/Sub publish failed; backing off (no event is parked for this kind of error)',
        );
      }
      break;
    case 'isolate':
      logger.warn(
        { err: failure.error, subject },
        'Pub/Sub rejected a request; retrying its events one by one',
      );
      break;
    case 'park':
      metrics.parkedDead.inc();
      logger.error(
        { subject, id: row.id, sequence: row.sequence, attempts: decision.attempts, error: message },
        'event parked as dead; later events of its subject continue (see `rims-relay dead list`)',
      );
      options.onDead?.({
        id: row.id,
        subject,
        sequence: row.sequence,
        position: row.position,
        error: message,
        attempts: decision.attempts,
      });
      break;
    case 'retry':
      logger.warn(
        { subject, id: row.id, attempts: decision.attempts, error: message, retryInMs: decision.retryInMs },
        'event could not be published; will retry',
      );
      break;
  }
}
