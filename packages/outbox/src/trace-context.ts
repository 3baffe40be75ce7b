/**
 * Captures the caller's active OpenTelemetry span as a W3C `traceparent`, so a trace can follow an
 * event from the request that caused it to every consumer. `@opentelemetry/api` is an optional peer:
 * without it (or without an active span) events simply carry no traceparent.
 */
import type * as OtelApiModule from '@opentelemetry/api';

type OtelApi = typeof OtelApiModule;

let otel: Promise<OtelApi | undefined> | undefined;
// The API once loaded: lets `transaction`'s synchronous `events.add` capture the span.
let loaded: OtelApi | undefined;

function loadOtel(): Promise<OtelApi | undefined> {
  otel ??= import('@opentelemetry/api').then(
    (api) => (loaded = api),
    () => undefined,
  );
  return otel;
}

/** Starts loading the optional OpenTelemetry API so the first enqueue does not wait for it. */
export function preloadTraceContext(): void {
  void loadOtel();
}

/** Resolves once the optional API has loaded (or is known to be absent): capture is then synchronous. */
export async function traceContextReady(): Promise<void> {
  await loadOtel();
}

/**
 * The active span's `traceparent` header value, or undefined when there is none or the API has
 * not loaded yet (await {@link traceContextReady} first).
 */
export function currentTraceparent(): string | undefined {
  const spanContext = loaded?.trace.getActiveSpan()?.spanContext();
  if (!loaded || !spanContext || !loaded.isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** The active span's `traceparent` header value, or undefined when there is none. */
export async function activeTraceparent(): Promise<string | undefined> {
  await loadOtel();
  return currentTraceparent();
}
