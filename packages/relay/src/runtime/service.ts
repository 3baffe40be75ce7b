/**
 * What every background part of a running relay shares (after River's startstop.Service): started
 * once, stopped once; `stop()` resolves when the part has finished what it was doing.
 */
export interface Service {
  start(): void;
  stop(): Promise<void>;
}

/**
 * A {@link Service} that runs `tick` every `intervalMs` (first at once when `immediately`), never
 * two ticks at a time; `stop()` waits for a running tick.
 */
export function periodic(
  intervalMs: number,
  tick: () => Promise<void>,
  options: { immediately?: boolean } = {},
): Service {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = tick().finally(() => {
      running = undefined;
    });
  };
  return {
    start() {
      timer = setInterval(run, intervalMs);
      if (options.immediately === true) run();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
