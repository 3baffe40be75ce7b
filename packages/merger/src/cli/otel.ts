import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { MergerConfig } from '../config.js';
import { NOOP_METER, type GaugeMeterLike } from '../telemetry.js';

/** The meter of one CLI command, and how to flush it before the process exits. */
export interface CommandTelemetry {
  readonly meter: GaugeMeterLike;
  /** Exports what was recorded and stops; resolves even when the collector is unreachable. */
  shutdown(): Promise<void>;
}

/**
 * OTLP/HTTP metrics when `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (used as is) or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (plus `/v1/metrics`, as the OpenTelemetry specification says) is
 * set; the no-op meter otherwise. Headers, timeouts and the resource come from the other standard
 * `OTEL_*` variables, read by the exporter itself. A command is short-lived, so the figures are
 * exported once, at shutdown.
 */
export function commandTelemetry(config: MergerConfig): CommandTelemetry {
  const url =
    config.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT
      ? `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/metrics`
      : undefined);
  if (url === undefined) return { meter: NOOP_METER, shutdown: () => Promise.resolve() };
  const provider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url }),
        // Longer than any command: the export happens at shutdown.
        exportIntervalMillis: 3_600_000,
        exportTimeoutMillis: 10_000,
      }),
    ],
  });
  return {
    meter: provider.getMeter('rims-merger'),
    shutdown: () => provider.shutdown().catch(() => undefined),
  };
}
