import { UnpublishableEventError } from './errors.js';

/**
 * How a failed publish is handled.
 * - `permanent`: this message can never be accepted (too large, rejected payload): retried a bounded
 *   number of times, then parked as dead; other subjects are unaffected.
 * - `systemic`: Pub/Sub or the path to it is unwell (unavailable, deadline, topic missing,
 *   permission denied, quota): every subject backs off and retries, no event is ever parked for it.
 *
 * @example const kind: FailureKind = classifyFailure(error);
 */
export type FailureKind = 'permanent' | 'systemic';

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) the relay names. */
export const GRPC_STATUS = {
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  permissionDenied: 7,
  resourceExhausted: 8,
  unavailable: 14,
} as const;

/**
 * Classifies an error from `topic.publishMessage` or from building the message.
 * Only INVALID_ARGUMENT (Pub/Sub rejected this very request) and the relay's own checks are
 * permanent: anything else may heal, and killing events for it would lose them for consumers.
 *
 * @example classifyFailure(error) === 'permanent'
 */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof UnpublishableEventError) return 'permanent';
  const code = (error as { code?: unknown } | null)?.code;
  return code === GRPC_STATUS.invalidArgument ? 'permanent' : 'systemic';
}

/** A short, single-line description of a publish error for logs and `last_error`. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'number' || typeof code === 'string' ? `[${String(code)}] ` : ''}${error.message}`;
  }
  return String(error);
}
