# Cloud Monitoring alert policies. Each display name is a heading of the README's "Alert runbook"
# (the test checks it), and each names only metrics the code emits (the test checks that too):
# - rims_relay_*: the relay's Prometheus metrics (packages/relay/src/metrics.ts), scraped by the
#   Managed Service for Prometheus sidecar (relay.tf) and queried with PromQL;
# - rims_merger_*: MERGER_METRIC_NAMES (packages/merger/src/metric-names.ts), which `run` and
#   `check` export over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set; this module sets none
#   (its jobs have no collector), so those two policies see no data and stay silent, and the
#   "RIMS check breaches" policy (the check job's exit status) raises the same conditions;
# - run.googleapis.com/ and pubsub.googleapis.com/: metrics Google records for the jobs and
#   subscriptions this module creates.
#
# PromQL conditions skip metric validation: the relay's and the merger's metrics exist in Cloud
# Monitoring only after their first sample, and the first apply comes before that.

locals {
  relay_selector = "{namespace=\"${google_cloud_run_v2_service.relay.name}\"}"
}

resource "google_monitoring_alert_policy" "relay_backlog_age" {
  project               = var.project_id
  display_name          = "RIMS relay backlog age"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "oldest unpublished outbox event older than ${var.relay_backlog_age_threshold_seconds}s"
    condition_prometheus_query_language {
      query                     = "max(rims_relay_oldest_pending_age_seconds${local.relay_selector}) > ${var.relay_backlog_age_threshold_seconds}"
      duration                  = "120s"
      evaluation_interval       = "60s"
      disable_metric_validation = true
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Events committed in PostgreSQL are not reaching Pub/Sub: the oldest one waiting is older than ${var.relay_backlog_age_threshold_seconds}s. Runbook: README, Alert runbook, \"RIMS relay backlog age\"."
  }
}

resource "google_monitoring_alert_policy" "relay_dead_events" {
  project               = var.project_id
  display_name          = "RIMS relay dead events"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "events parked as dead in the outbox"
    condition_prometheus_query_language {
      query                     = "max(rims_relay_dead_events${local.relay_selector}) > 0"
      duration                  = "0s"
      evaluation_interval       = "60s"
      disable_metric_validation = true
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The relay parked events it could not publish after RELAY_MAX_ATTEMPTS; they wait for `rims-relay dead retry`. Runbook: README, Alert runbook, \"RIMS relay dead events\"."
  }
}

resource "google_monitoring_alert_policy" "outbox_vacuum_behind" {
  project               = var.project_id
  display_name          = "RIMS outbox vacuum behind"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "more dead than live row versions in the outbox table, and over ${var.outbox_dead_rows_threshold}, for 30 minutes"
    condition_prometheus_query_language {
      # Healthy autovacuum brings the dead rows down at every visit (each minute by default), so the
      # condition cannot hold for 30 minutes unless vacuum is off or held back. The floor keeps a
      # nearly empty outbox (a few dead rows, under autovacuum's own threshold) quiet.
      query                     = "max(rims_relay_outbox_dead_rows${local.relay_selector}) > max(rims_relay_outbox_live_rows${local.relay_selector}) and max(rims_relay_outbox_dead_rows${local.relay_selector}) > ${var.outbox_dead_rows_threshold}"
      duration                  = "1800s"
      evaluation_interval       = "60s"
      disable_metric_validation = true
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Vacuum is not reclaiming the outbox's dead row versions: the table and its indexes grow and the relay's fetches slow down. Runbook: README, Alert runbook, \"RIMS outbox vacuum behind\"."
  }
}

resource "google_monitoring_alert_policy" "relay_leases_not_held" {
  project               = var.project_id
  display_name          = "RIMS relay leases not held"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "fewer than ${local.lease_partitions} lease partitions held by live relays"
    condition_prometheus_query_language {
      # `or vector(0)`: with no relay running at all there is no series to sum, and that is the
      # worst case, not a reason to stay silent.
      query                     = "(sum(rims_relay_leases_held${local.relay_selector}) or vector(0)) < ${local.lease_partitions}"
      duration                  = "120s"
      evaluation_interval       = "60s"
      disable_metric_validation = true
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Some of the ${local.lease_partitions} subject partitions have no relay publishing them (no relay running, or relays that cannot reach PostgreSQL). Runbook: README, Alert runbook, \"RIMS relay leases not held\"."
  }
}

resource "google_monitoring_alert_policy" "heartbeat_freshness" {
  project               = var.project_id
  display_name          = "RIMS heartbeat freshness"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "newest heartbeat in rims_core older than ${var.heartbeat_max_age_seconds}s"
    condition_prometheus_query_language {
      query                     = "max(rims_merger_heartbeat_age_seconds) > ${var.heartbeat_max_age_seconds}"
      duration                  = "0s"
      evaluation_interval       = "60s"
      disable_metric_validation = true
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The warehouse is behind PostgreSQL: no relay heartbeat has reached rims_core for ${var.heartbeat_max_age_seconds}s. Runbook: README, Alert runbook, \"RIMS heartbeat freshness\"."
  }
}

resource "google_monitoring_alert_policy" "rejected_ratio" {
  project               = var.project_id
  display_name          = "RIMS rejected ratio"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "more than ${var.max_rejected_ratio} of merged rows rejected"
    condition_prometheus_query_language {
      query                     = "max(rims_merger_rejected_ratio) > ${var.max_rejected_ratio}"
      duration                  = "0s"
      evaluation_interval       = "60s"
      disable_metric_validation = true
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.max_rejected_ratio} of the rows the merger read were invalid and went to rims_core.item_events_rejected. Runbook: README, Alert runbook, \"RIMS rejected ratio\"."
  }
}

resource "google_monitoring_alert_policy" "merge_job_failures" {
  project               = var.project_id
  display_name          = "RIMS merge job failures"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "rims-merger execution failed"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_job\" AND resource.labels.job_name = \"${google_cloud_run_v2_job.merger["rims-merger"].name}\" AND metric.type = \"run.googleapis.com/job/completed_execution_count\" AND metric.labels.result = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  # A merge that is never started (schedule paused, scheduler identity broken) fails nothing.
  conditions {
    display_name = "no rims-merger execution succeeded for ${var.merge_success_window_seconds}s"
    condition_absent {
      filter   = "resource.type = \"cloud_run_job\" AND resource.labels.job_name = \"${google_cloud_run_v2_job.merger["rims-merger"].name}\" AND metric.type = \"run.googleapis.com/job/completed_execution_count\" AND metric.labels.result = \"succeeded\""
      duration = "${var.merge_success_window_seconds}s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A merge run failed, or none succeeded for ${var.merge_success_window_seconds}s; the watermark does not move until one does. Runbook: README, Alert runbook, \"RIMS merge job failures\"."
  }
}

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  project               = var.project_id
  display_name          = "RIMS dead-letter backlog"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "messages waiting in ${local.dead_letter_subscription_name}"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.dead_letter.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.dead_letter_backlog_threshold
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The BigQuery subscription could not write some messages and dead-lettered them: they are not in rims_raw. Runbook: README, Alert runbook, \"RIMS dead-letter backlog\"."
  }
}

resource "google_monitoring_alert_policy" "raw_subscription_backlog" {
  project               = var.project_id
  display_name          = "RIMS raw subscription backlog"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "oldest message of ${local.raw_subscription_name} older than ${var.raw_backlog_age_threshold_seconds}s"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.raw.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.raw_backlog_age_threshold_seconds
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The BigQuery subscription is not writing rims_raw.item_events (table missing, permission revoked, schema mismatch): messages pile up and are not dead-lettered. Runbook: README, Alert runbook, \"RIMS raw subscription backlog\"."
  }
}

resource "google_monitoring_alert_policy" "audit_findings" {
  project               = var.project_id
  display_name          = "RIMS audit findings"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "rims-merger-audit execution failed (exit 1: findings)"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_job\" AND resource.labels.job_name = \"${google_cloud_run_v2_job.merger["rims-merger-audit"].name}\" AND metric.type = \"run.googleapis.com/job/completed_execution_count\" AND metric.labels.result = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "`rims-merger audit` found late data behind the lookback window, sequence gaps or drift (or could not run). Runbook: README, Alert runbook, \"RIMS audit findings\"."
  }
}

resource "google_monitoring_alert_policy" "check_breaches" {
  project               = var.project_id
  display_name          = "RIMS check breaches"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "rims-merger-check execution failed (exit 1: a check breached)"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_job\" AND resource.labels.job_name = \"${google_cloud_run_v2_job.merger["rims-merger-check"].name}\" AND metric.type = \"run.googleapis.com/job/completed_execution_count\" AND metric.labels.result = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "`rims-merger check` breached a threshold (freshness, rejected ratio, dead letters, failed runs); its log has one line per check with value, threshold and verdict. Runbook: README, Alert runbook, \"RIMS check breaches\"."
  }
}
