# One dashboard for the on-call engineer: relay (backlog, age, dead, leases, publish rate, the
# outbox table's size and dead rows), the warehouse's freshness and rejected ratio, the
# subscriptions' backlogs and the jobs' outcomes.
# The same metric rules as the alert policies apply (the test checks every query).
locals {
  dashboard_charts = [
    { title = "Relay: oldest unpublished event age (s)", query = "max(rims_relay_oldest_pending_age_seconds${local.relay_selector})" },
    { title = "Relay: events waiting to be published", query = "max(rims_relay_backlog_events${local.relay_selector})" },
    { title = "Relay: events published per second", query = "sum(rate(rims_relay_events_published_total${local.relay_selector}[5m]))" },
    { title = "Relay: publish retries per second, by kind", query = "sum by (kind) (rate(rims_relay_publish_retries_total${local.relay_selector}[5m]))" },
    { title = "Relay: lease partitions held (of ${local.lease_partitions})", query = "sum(rims_relay_leases_held${local.relay_selector})" },
    { title = "Relay: dead events", query = "max(rims_relay_dead_events${local.relay_selector})" },
    { title = "Relay: outbox table size with indexes (bytes)", query = "max(rims_relay_outbox_table_bytes${local.relay_selector})" },
    { title = "Relay: outbox dead row versions", query = "max(rims_relay_outbox_dead_rows${local.relay_selector})" },
    { title = "Warehouse: newest heartbeat age (s)", query = "max(rims_merger_heartbeat_age_seconds)" },
    { title = "Warehouse: heartbeat commit-to-Core lag (s)", query = "max(rims_merger_heartbeat_lag_seconds)" },
    { title = "Warehouse: rejected ratio", query = "max(rims_merger_rejected_ratio)" },
    { title = "Pub/Sub: dead letters waiting", query = "max(pubsub_googleapis_com:subscription_num_undelivered_messages{monitored_resource=\"pubsub_subscription\",subscription_id=\"${google_pubsub_subscription.dead_letter.name}\"})" },
    { title = "Pub/Sub: raw subscription oldest message age (s)", query = "max(pubsub_googleapis_com:subscription_oldest_unacked_message_age{monitored_resource=\"pubsub_subscription\",subscription_id=\"${google_pubsub_subscription.raw.name}\"})" },
    { title = "Jobs: executions by job and result", query = "sum by (job_name, result) (increase(run_googleapis_com:job_completed_execution_count{monitored_resource=\"cloud_run_job\"}[1h]))" },
  ]
}

resource "google_monitoring_dashboard" "rims" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "RIMS commitment events"
    mosaicLayout = {
      columns = 12
      tiles = [for index, chart in local.dashboard_charts : {
        xPos   = (index % 2) * 6
        yPos   = floor(index / 2) * 4
        width  = 6
        height = 4
        widget = {
          title = chart.title
          xyChart = {
            dataSets = [{
              plotType        = "LINE"
              timeSeriesQuery = { prometheusQuery = chart.query }
            }]
          }
        }
      }]
    }
  })
}
