/**
 * Waits for `work`, but at most `timeoutMs`: resolves true when it settled in time, false when the
 * time ran out. The timer is cleared either way, so a finished wait never keeps the process alive.
 *
 * @example
 * const drained = new Promise<void>((resolve) => setTimeout(resolve, 100));
 * if (!(await within(drained, 30_000))) logger.warn('did not stop in time');
 */
export async function within(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
