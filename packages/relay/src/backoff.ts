/** Exponential backoff bounds, in milliseconds. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): exponential, capped, with "equal
 * jitter" (a random delay between half and all of the exponential value) so replicas and subjects
 * that failed together do not retry in lockstep.
 *
 * @example backoffDelay(3, { initialMs: 100, maxMs: 30_000 }) // between 200 and 400
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
