/**
 * Metrics and tracing through OpenTelemetry-shaped hooks: pass `metrics.getMeter('rims-merger')`
 * and `trace.getTracer('rims-merger')` from `@opentelemetry/api` (their shapes fit), or nothing for
 * the no-op defaults. @rims/merger itself does not depend on OpenTelemetry.
 */

/** Attributes of a measurement (OpenTelemetry `Attributes`). */
export type MetricAttributes = Record<string, string | number | boolean>;

/** The part of an OpenTelemetry `Meter` the merger uses. */
export interface MeterLike {
  /** A counter, such as rows merged per run. */
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    /** Adds `value` (not negative) to the counter. */
    add(value: number, attributes?: MetricAttributes): void;
  };
  /** A histogram, such as run durations. */
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    /** Records one measurement. */
    record(value: number, attributes?: MetricAttributes): void;
  };
}

/** A meter that also makes gauges (OpenTelemetry `Meter.createGauge`), for `rims-merger check`. */
export interface GaugeMeterLike extends MeterLike {
  /** A gauge, such as the age of the newest heartbeat in Core. */
  createGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    /** Records the current value. */
    record(value: number, attributes?: MetricAttributes): void;
  };
}

/** The part of an OpenTelemetry `Span` the merger uses. */
export interface SpanLike {
  /** Sets one attribute of the span, such as the rows a statement changed. */
  setAttribute(key: string, value: string | number | boolean): unknown;
  /** Records an error the spanned work threw. */
  recordException(exception: Error): void;
  /** Ends the span; called exactly once. */
  end(): void;
}

/** The part of an OpenTelemetry `Tracer` the merger uses. */
export interface TracerLike {
  /** Runs `fn` in a new span, active for its duration, and returns what `fn` returns. */
  startActiveSpan<T>(name: string, fn: (span: SpanLike) => T): T;
}

const noopInstrument = { add: () => undefined, record: () => undefined };

/** A meter that records nothing. */
export const NOOP_METER: GaugeMeterLike = {
  createCounter: () => noopInstrument,
  createHistogram: () => noopInstrument,
  createGauge: () => noopInstrument,
};

const noopSpan: SpanLike = {
  setAttribute: () => noopSpan,
  recordException: () => undefined,
  end: () => undefined,
};

/** A tracer that traces nothing. */
export const NOOP_TRACER: TracerLike = { startActiveSpan: (_name, fn) => fn(noopSpan) };

/** Runs `work` in a span named `name`, recording a thrown error and always ending the span. */
export async function inSpan<T>(
  tracer: TracerLike,
  name: string,
  work: (span: SpanLike) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      throw error;
    } finally {
      span.end();
    }
  });
}
