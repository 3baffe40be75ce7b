locals {
  # The names are contracts (DESIGN.md): the relay, the merger and `rims-merger provision` use them by
  # default, and consumers subscribe to the topic by name. test/terraform.test.ts checks each one
  # against DEFAULT_PUBSUB_NAMES and DEFAULT_DATASETS of @rims/merger, so they cannot drift apart.
  topic_name                    = "rims-item-events"
  dead_letter_topic_name        = "rims-item-events-dead-letter"
  dead_letter_subscription_name = "rims-item-events-dead-letter"
  raw_subscription_name         = "rims-item-events-raw"

  datasets = {
    raw       = "rims_raw"
    core      = "rims_core"
    analytics = "rims_analytics"
  }
  # What sql/bigquery/ddl/002_raw_item_events.generated.sql creates in the raw dataset.
  raw_table_id = "item_events"

  # The columns come from the zod catalogue (`pnpm generate` writes this file); the test checks it
  # equals rawItemEventsColumns() of @rims/schemas.
  raw_table_schema_file = "${path.module}/../../../../packages/schemas/generated/bigquery/rims_raw.item_events.schema.json"

  # The relay listens on 8080 on Cloud Run, not its own default 9464: Cloud Run sends probes to the
  # ingress container's port, and the Managed Service for Prometheus sidecar's default configuration
  # scrapes 0.0.0.0:8080/metrics every 30 s, so one port serves probes and metrics with no sidecar
  # configuration to keep in a secret.
  relay_http_port = 8080

  # Subject partitions the relays lease (LEASE_PARTITIONS of @rims/relay): all of them must be held.
  lease_partitions = 64

  # Google creates this agent when the Pub/Sub API is enabled; it writes the BigQuery subscription's
  # rows and forwards dead letters.
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  warehouse_url = "bigquery://${var.project_id}/${var.bigquery_location}"

  # The merger's Cloud Run jobs: the incremental merge, the daily late-data audit and the end-to-end
  # check (DESIGN.md: `rims-merger check [--max-lag 5m] [--max-rejected-ratio 0.01]`). `audit` and
  # `check` exit 1 on findings, so a failed execution is their alert; they are not retried, since a
  # retry would only find the same thing. A merge is retried once: the next run redoes its window
  # anyway, and overlapping runs are harmless (the second finds the lease taken).
  merger_jobs = {
    "rims-merger" = {
      args        = ["run"]
      schedule    = var.merge_schedule
      timeout     = "900s"
      max_retries = 1
    }
    "rims-merger-audit" = {
      args        = ["audit"]
      schedule    = var.audit_schedule
      timeout     = "900s"
      max_retries = 0
    }
    "rims-merger-check" = {
      args        = ["check", "--max-lag", "${var.heartbeat_max_age_seconds}s", "--max-rejected-ratio", "${var.max_rejected_ratio}"]
      schedule    = var.check_schedule
      timeout     = "300s"
      max_retries = 0
    }
  }

  # Settings every merger job gets (each a MERGER_SETTINGS variable of @rims/merger; the test checks
  # the names). The raw-table settings are the ones Terraform gives the table, so a `provision` run
  # from a job or from CI re-applies the same values.
  merger_env = {
    WAREHOUSE_URL                   = local.warehouse_url
    PUBSUB_PROJECT_ID               = var.project_id
    PUBSUB_TOPIC                    = local.topic_name
    PUBSUB_SUBSCRIPTION             = local.raw_subscription_name
    PUBSUB_DEAD_LETTER_TOPIC        = local.dead_letter_topic_name
    MERGER_LOOKBACK                 = var.merger_lookback
    MERGER_RAW_PARTITION            = var.raw_partition
    MERGER_RAW_PARTITION_EXPIRATION = "${var.raw_partition_expiration_days}d"
    MERGER_MAX_DELIVERY_ATTEMPTS    = "${var.max_delivery_attempts}"
    LOG_LEVEL                       = var.log_level
  }
}

data "google_project" "this" {
  project_id = var.project_id
}
