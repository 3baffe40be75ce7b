import { classifyFailure, describeFailure } from '../failure-kind.js';
import type { PendingRow } from '../queries/index.js';
import { SPAN_KIND_PRODUCER, SPAN_STATUS_ERROR, spanContextOf, type TracerLike } from '../telemetry.js';
import type { PublishScheduler } from './publish-scheduler.js';
import type { PublishPort } from './pubsub-port.js';
import type { BatchOutcome, PublishCommand } from './scheduler-types.js';

/**
 * Hands one subject's batch to the client, in order, inside a producer span linked to the
 * enqueuing traces. Each message's outcome goes to the scheduler from the client's own callback: a
 * rejection blocks the subject before the client can forget it. `onSettled` hears the batch's
 * outcome once every message has settled.
 */
export function sendBatch(
  command: PublishCommand<PendingRow>,
  scheduler: PublishScheduler<PendingRow>,
  options: { readonly pubsub: PublishPort; readonly tracer: TracerLike; readonly topicName: string },
  onSettled: (outcome: BatchOutcome<PendingRow>) => void,
): void {
  const { pubsub, tracer, topicName } = options;
  const links = command.rows
    .slice(0, 32)
    .map((row) => spanContextOf(row.traceparent))
    .filter((context) => context !== undefined)
    .map((context) => ({ context }));
  const span = tracer.startSpan(`${topicName} publish`, {
    kind: SPAN_KIND_PRODUCER,
    attributes: {
      'messaging.system': 'gcp_pubsub',
      'messaging.destination.name': topicName,
      'messaging.gcp_pubsub.message.ordering_key': command.subject,
      'messaging.batch.message_count': command.rows.length,
    },
    links,
  });
  let firstError: unknown;
  const settle = (outcome: BatchOutcome<PendingRow> | undefined) => {
    if (!outcome) return;
    if (firstError !== undefined) {
      span.recordException(describeFailure(firstError));
      span.setStatus({ code: SPAN_STATUS_ERROR, message: describeFailure(firstError) });
    }
    span.end();
    onSettled(outcome);
  };
  for (const [index, row] of command.rows.entries()) {
    // Rejected already (a client may call back at once while a key's failure is pending): the
    // rest of the batch must not be handed over behind the rejected message.
    if (scheduler.batchRejected(command.batchId)) {
      const failure = { error: firstError, kind: classifyFailure(firstError) };
      settle(scheduler.sendFailed(command.batchId, index, failure, performance.now()));
      break;
    }
    try {
      pubsub.publish(row, (error) => {
        if (error) firstError ??= error;
        const failure = error ? { error, kind: classifyFailure(error) } : undefined;
        settle(scheduler.messageSettled(command.batchId, index, failure, performance.now()));
      });
    } catch (error) {
      // The event cannot be sent at all (it does not build, or breaks a Pub/Sub limit); neither
      // can the ones after it, which must not overtake it.
      firstError ??= error;
      const failure = { error, kind: classifyFailure(error), culprit: true };
      settle(scheduler.sendFailed(command.batchId, index, failure, performance.now()));
      break;
    }
  }
}
