/**
 * Tracing hooks shaped like OpenTelemetry's API, so `trace.getTracer('rims-relay')` from
 * `@opentelemetry/api` can be passed as is, while the relay depends on no tracing package. The
 * default does nothing.
 */

/**
 * The parts of an OpenTelemetry `SpanContext` the relay produces (from an event's `traceparent`).
 *
 * @example const link = { context: spanContextOf(event.traceparent) };
 */
export interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}

/**
 * The parts of an OpenTelemetry `Span` the relay calls.
 *
 * @example const span: SpanLike = tracer.startSpan('publish'); span.end();
 */
export interface SpanLike {
  /** Sets one attribute of the span. */
  setAttribute(key: string, value: string | number | boolean): unknown;
  /** Records an error that happened during the span. */
  recordException(exception: Error | string): void;
  /** Sets the span's status (the relay sets ERROR on a failed publish). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Ends the span. */
  end(): void;
}

/**
 * The parts of an OpenTelemetry `Tracer` the relay calls.
 *
 * @example const tracer: TracerLike = trace.getTracer('rims-relay'); // from @opentelemetry/api
 */
export interface TracerLike {
  /** Starts a span: the relay starts one producer span per publish request, linked to the enqueuing traces. */
  startSpan(
    name: string,
    options?: {
      kind?: number;
      attributes?: Record<string, string | number | boolean>;
      links?: { context: SpanContextLike }[];
    },
  ): SpanLike;
}

/** OpenTelemetry `SpanKind.PRODUCER` and `SpanStatusCode.ERROR`, without importing the API. */
export const SPAN_KIND_PRODUCER = 3;
export const SPAN_STATUS_ERROR = 2;

const noopSpan: SpanLike = {
  setAttribute: () => noopSpan,
  recordException: () => undefined,
  setStatus: () => noopSpan,
  end: () => undefined,
};

/**
 * A tracer that records nothing: the default.
 *
 * @example createRelay({ tracer: process.env.OTEL ? trace.getTracer('rims-relay') : noopTracer })
 */
export const noopTracer: TracerLike = { startSpan: () => noopSpan };

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;

/**
 * The span context of a W3C `traceparent`, for linking a publish span to the trace of the code that
 * enqueued the event.
 *
 * @example spanContextOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId
 */
export function spanContextOf(traceparent: string | null | undefined): SpanContextLike | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { traceId: match[1], spanId: match[2], traceFlags: Number.parseInt(match[3], 16), isRemote: true };
}
