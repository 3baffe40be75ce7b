/**
 * What every background part of a running relay shares (after River's startstop.Service): started
 * once, stopped once; `stop()` resolves when the part has finished what it was doing.
 *
 * @example const services: Service[] = [leaseHeartbeat, backlogGauges, retention]; for (const s of services) s.start();
 */
export interface Service {
  start(): void;
  stop(): Promise<void>;
}

/**
 * A {@link Service} that runs `tick` every `intervalMs` (first at once when `immediately`), never
 * two ticks at a time; `stop()` waits for a running tick.
 *
 * @example const gauges = periodic(5_000, () => measure(), { immediately: true });
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
