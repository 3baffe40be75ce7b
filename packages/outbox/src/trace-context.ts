/**
 * Captures the caller's active OpenTelemetry span as a W3C `traceparent`, so a trace can follow an
 * event from the request that caused it to every consumer. `@opentelemetry/api` is an optional peer:
 * without it (or without an active span) events simply carry no traceparent.
 */
import type * as OtelApiModule from '@opentelemetry/api';

type OtelApi = typeof OtelApiModule;

let otel: Promise<OtelApi | undefined> | undefined;

function loadOtel(): Promise<OtelApi | undefined> {
  otel ??= import('@opentelemetry/api').catch(() => undefined);
  return otel;
}

/** Starts loading the optional OpenTelemetry API so the first enqueue does not wait for it. */
export function preloadTraceContext(): void {
  void loadOtel();
}

/** The active span's `traceparent` header value, or undefined when there is none. */
export async function activeTraceparent(): Promise<string | undefined> {
  const api = await loadOtel();
  const spanContext = api?.trace.getActiveSpan()?.spanContext();
  if (!api || !spanContext || !api.isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}
