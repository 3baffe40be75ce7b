import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many milliseconds; default 30,000. */
  timeoutMs?: number;
  /** Poll every this many milliseconds; default 50. */
  intervalMs?: number;
  /**
   * Named in the timeout error, for example 'all 10,000 events to arrive'. A function is called
   * only when the wait times out, so it can report what happened meanwhile (a child's output).
   */
  description?: string | (() => string);
}

/**
 * Polls `check` until it returns a value other than `undefined` or `false`, and returns that value.
 *
 * @example const rows = await waitFor(async () => (await count()) === 10 || undefined, { description: '10 rows' });
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const description =
        typeof options.description === 'function' ? options.description() : options.description;
      throw new Error(
        `timed out after ${String(timeoutMs)} ms waiting for ${description ?? 'a condition'}${reason}`,
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}
