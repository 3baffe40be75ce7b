import type { z } from 'zod';

/**
 * Base class of every error the RIMS packages throw on purpose.
 *
 * Match on `code` (stable across releases), never on the message text.
 *
 * @example
 * try {
 *   decodePubSubMessage(message);
 * } catch (error) {
 *   if (error instanceof RimsError && error.code === 'RIMS_EVENT_UNKNOWN_TYPE') message.ack(); // a newer type
 *   else throw error;
 * }
 */
export abstract class RimsError extends Error {
  /** A stable, machine-readable code such as `RIMS_EVENT_INVALID`. */
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found in an event, located by a field path such as `data.quantity` or `[2].subject`. */
export interface ValidationIssue {
  /** Where the problem is: `data.quantity`, `[3].subject`, or `` for the event as a whole. */
  readonly path: string;
  /** What is wrong and, where it is not obvious, how to fix it. */
  readonly message: string;
  /** The zod issue code (`too_small`, `invalid_type`, ...) or a RIMS code such as `subject_mismatch`. */
  readonly code: string;
}

/**
 * An event does not match its schema. `issues` names every offending field.
 *
 * @example
 * try {
 *   parseCloudEvent(JSON.parse(body));
 * } catch (error) {
 *   if (error instanceof EventValidationError) console.log(error.issues.map((i) => i.path)); // ['data.quantity']
 * }
 */
export class EventValidationError extends RimsError {
  readonly code: string = 'RIMS_EVENT_INVALID';
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options?: ErrorOptions & { summary?: string }) {
    super(`${options?.summary ?? 'Invalid RIMS event'}: ${formatIssues(issues)}`, options);
    this.issues = issues;
  }
}

/**
 * The event's `type` is not one this version of @rims/schemas knows, for example a newer `v2` type.
 * Consumers usually acknowledge and skip these rather than fail (see VERSIONING.md).
 */
export class UnknownEventTypeError extends EventValidationError {
  override readonly code = 'RIMS_EVENT_UNKNOWN_TYPE';
  /** The unrecognised type as received. */
  readonly type: string;

  constructor(type: string, known: readonly string[]) {
    super(
      [
        {
          path: 'type',
          code: 'unknown_type',
          message: `'${type}' is not a known RIMS event type; known types are ${known.join(', ')} (upgrade @rims/schemas if it is newer)`,
        },
      ],
      { summary: 'Unknown RIMS event type' },
    );
    this.type = type;
  }
}

/** A Pub/Sub message could not be read as a CloudEvent at all (not JSON, no CloudEvent attributes). */
export class EventDecodeError extends EventValidationError {
  override readonly code = 'RIMS_EVENT_UNDECODABLE';

  constructor(message: string, options?: ErrorOptions) {
    super([{ path: '', code: 'undecodable', message }], {
      ...options,
      summary: 'Undecodable Pub/Sub message',
    });
  }
}

/** Renders issues as `path: message; path: message`. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`))
    .join('; ');
}

/** Renders a zod path as `data.quantity` or `[3].data.quantity`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${String(key)}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Converts zod issues into {@link ValidationIssue}s, prefixing each path (for example with `[3]`). */
export function issuesFromZod(error: z.ZodError, prefix = ''): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path, prefix),
    message: issue.message,
    // Custom checks carry their own RIMS code (for example `subject_mismatch`) in params.
    code: issue.code === 'custom' && typeof issue.params?.rims === 'string' ? issue.params.rims : issue.code,
  }));
}
