/**
 * A level-triggered wake-up for a loop: `notify()` before `wait()` is not lost, and several
 * notifications while the loop works fold into one.
 */
export class WakeSignal {
  private pending = false;
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Wakes the waiting loop now, or makes its next `wait()` return at once. */
  notify(): void {
    this.pending = true;
    this.release();
  }

  /** Resolves on the next notification or after `timeoutMs`, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = () => {
        this.pending = false;
        resolve();
      };
      this.timer = setTimeout(
        () => {
          this.release();
        },
        Math.max(0, timeoutMs),
      );
    });
  }

  private release(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    clearTimeout(this.timer);
    waiter();
  }
}
