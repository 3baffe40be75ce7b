/**
 * Names of the OpenTelemetry metrics the merger is to export from `rims-merger run` and
 * `rims-merger check` (issue 12). The Cloud Monitoring alert policies and the dashboard in
 * `deploy/terraform/modules/rims` query these names, and `test/terraform.test.ts` checks that every
 * `rims_merger_*` name they use is one of these.
 *
 * `rims-merger check` records them as gauges and exports them over OTLP/HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._METRICS_ENDPOINT`) is set; without it they are not exported
 * and the `rims-merger-check` job's exit status raises the same conditions.
 *
 * The names are snake_case and already end in their unit, so the OpenTelemetry-to-Prometheus
 * translation (Google Cloud Managed Service for Prometheus, or any Prometheus exporter) keeps them
 * unchanged: it appends `_seconds` for unit `s` and `_ratio` for unit `1` only when the name does not
 * end with it already, and adds nothing to gauges.
 *
 * @example meter.createGauge(MERGER_METRIC_NAMES.heartbeatAge, { unit: 's' })
 */
export const MERGER_METRIC_NAMES = {
  /** Gauge, seconds: age of the newest heartbeat that reached `rims_core.pipeline_heartbeats` (freshness). */
  heartbeatAge: 'rims_merger_heartbeat_age_seconds',
  /** Gauge, seconds: that heartbeat's lag from its commit in PostgreSQL to its merge into Core. */
  heartbeatLag: 'rims_merger_heartbeat_lag_seconds',
  /** Gauge, unit 1: rejected rows over all rows the check window merged (0 to 1). */
  rejectedRatio: 'rims_merger_rejected_ratio',
} as const;

/** One of the merger's metric names. */
export type MergerMetricName = (typeof MERGER_METRIC_NAMES)[keyof typeof MERGER_METRIC_NAMES];
