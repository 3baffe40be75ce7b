/**
 * Metrics and tracing through OpenTelemetry-shaped hooks: pass `metrics.getMeter('rims-merger')`
 * and `trace.getTracer('rims-merger')` from `@opentelemetry/api` (their shapes fit), or nothing for
 * the no-op defaults. @rims/merger itself does not depend on OpenTelemetry.
 */

/** Attributes of a measurement (OpenTelemetry `Attributes`). */
export type MetricAttributes = Record<string, string | number | boolean>;

/** The part of an OpenTelemetry `Meter` the merger uses. */
export interface MeterLike {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    add(value: number, attributes?: MetricAttributes): void;
  };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    record(value: number, attributes?: MetricAttributes): void;
  };
}

/** The part of an OpenTelemetry `Span` the merger uses. */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  recordException(exception: Error): void;
  end(): void;
}

/** The part of an OpenTelemetry `Tracer` the merger uses. */
export interface TracerLike {
  startActiveSpan<T>(name: string, fn: (span: SpanLike) => T): T;
}

const noopInstrument = { add: () => undefined, record: () => undefined };

/** A meter that records nothing. */
export const NOOP_METER: MeterLike = {
  createCounter: () => noopInstrument,
  createHistogram: () => noopInstrument,
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
