variable "project_id" {
  description = "Google Cloud project that holds the whole pipeline."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run service and jobs and of Cloud Scheduler. Keep every relay in one region: Pub/Sub orders messages per region."
  type        = string
}

variable "bigquery_location" {
  description = "BigQuery location of the three datasets (the LOCATION of WAREHOUSE_URL=bigquery://PROJECT/LOCATION)."
  type        = string
  default     = "EU"
}

variable "relay_image" {
  description = "Container image of rims-relay without its tag, such as europe-docker.pkg.dev/PROJECT/rims/rims-relay (built from packages/relay/Dockerfile)."
  type        = string
}

variable "relay_image_tag" {
  description = "Tag (or @sha256 digest suffix) of the relay image to run; CI sets it to the release being deployed."
  type        = string
}

variable "merger_image" {
  description = "Container image of rims-merger without its tag (built from packages/merger/Dockerfile)."
  type        = string
}

variable "merger_image_tag" {
  description = "Tag of the merger image the merge, audit and check jobs run."
  type        = string
}

variable "cloud_sql_instance" {
  description = "Connection name PROJECT:REGION:INSTANCE of the Cloud SQL for PostgreSQL instance holding the outbox; Cloud Run mounts its socket under /cloudsql."
  type        = string
}

variable "relay_database_url_secret" {
  description = "Secret Manager secret id (created outside Terraform, so the password never enters the state) whose latest version is the relay's DATABASE_URL, such as postgres://rims_relay:PASSWORD@/rims?host=/cloudsql/PROJECT:REGION:INSTANCE."
  type        = string
}

variable "relay_min_instances" {
  description = "Relay replicas always running. Two or more for availability: a crashed replica's partitions move after RELAY_LEASE_TTL."
  type        = number
  default     = 2

  validation {
    condition     = var.relay_min_instances >= 1
    error_message = "The relay must run at least one instance: nothing else publishes the outbox."
  }
}

variable "relay_max_instances" {
  description = "Most relay replicas Cloud Run may start. More than 64 add nothing: replicas share 64 lease partitions."
  type        = number
  default     = 4

  validation {
    condition     = var.relay_max_instances >= 1 && var.relay_max_instances <= 64
    error_message = "Between 1 and 64: the relays share 64 lease partitions, so a 65th replica would hold none."
  }
}

variable "relay_cpu" {
  description = "CPU limit of the relay container."
  type        = string
  default     = "1"
}

variable "relay_memory" {
  description = "Memory limit of the relay container (RELAY_MAX_IN_FLIGHT messages are held in memory)."
  type        = string
  default     = "1Gi"
}

variable "relay_extra_env" {
  description = "More rims-relay settings (variable name to value), such as { RELAY_BATCH_SIZE = \"2000\" }; see the README's configuration reference."
  type        = map(string)
  default     = {}
}

variable "gmp_sidecar_image" {
  description = "Google's Managed Service for Prometheus sidecar for Cloud Run; it scrapes the relay's /metrics into Cloud Monitoring, where the alert policies read them."
  type        = string
  default     = "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0"
}

variable "log_level" {
  description = "LOG_LEVEL of the relay and the merger jobs."
  type        = string
  default     = "info"
}

variable "merger_lookback" {
  description = "MERGER_LOOKBACK: how far behind the watermark each merge looks for late rows."
  type        = string
  default     = "2d"
}

variable "merge_schedule" {
  description = "Cron schedule (in schedule_time_zone) of the incremental merge."
  type        = string
  default     = "*/5 * * * *"
}

variable "audit_schedule" {
  description = "Cron schedule of `rims-merger audit` (late data behind the lookback window)."
  type        = string
  default     = "30 3 * * *"
}

variable "check_schedule" {
  description = "Cron schedule of `rims-merger check` (freshness, rejected ratio, dead letters, failed runs)."
  type        = string
  default     = "*/10 * * * *"
}

variable "paused_schedules" {
  description = "Merger jobs whose schedule is paused, such as [\"rims-merger-check\"] while the deployed release has no `rims-merger check` yet (every run would fail and raise \"RIMS check breaches\")."
  type        = list(string)
  default     = []
}

variable "schedule_time_zone" {
  description = "Time zone of the Cloud Scheduler schedules."
  type        = string
  default     = "Etc/UTC"
}

variable "raw_partition" {
  description = "DAY or HOUR partitions of rims_raw.item_events by publish_time (MERGER_RAW_PARTITION). Fixed once the table exists."
  type        = string
  default     = "DAY"

  validation {
    condition     = contains(["DAY", "HOUR"], var.raw_partition)
    error_message = "raw_partition must be DAY or HOUR, the two the BigQuery DDL and the merger support."
  }
}

variable "raw_partition_expiration_days" {
  description = "Days after which BigQuery drops a raw partition (MERGER_RAW_PARTITION_EXPIRATION). Keep it longer than the longest outage audit and repair runs must cover."
  type        = number
  default     = 60
}

variable "max_delivery_attempts" {
  description = "Deliveries of a message the BigQuery subscription cannot write before it is dead-lettered (MERGER_MAX_DELIVERY_ATTEMPTS, 5 to 100)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts 5 to 100 delivery attempts."
  }
}

variable "relay_backlog_age_threshold_seconds" {
  description = "Alert when the oldest unpublished outbox event is older than this (rims_relay_oldest_pending_age_seconds)."
  type        = number
  default     = 60
}

variable "outbox_dead_rows_threshold" {
  description = "Alert when the outbox table holds more dead than live row versions, and more than this many, for 30 minutes (rims_relay_outbox_dead_rows)."
  type        = number
  default     = 10000
}

variable "heartbeat_max_age_seconds" {
  description = "Freshness threshold: alert, and fail `rims-merger check --max-lag`, when the newest heartbeat in rims_core is older. Must exceed the merge interval plus a merge's duration plus RELAY_HEARTBEAT_EVENT_INTERVAL, or a healthy pipeline breaches it between merges."
  type        = number
  default     = 900
}

variable "max_rejected_ratio" {
  description = "Alert, and fail `rims-merger check --max-rejected-ratio`, when more than this share of merged rows is rejected."
  type        = number
  default     = 0.01
}

variable "dead_letter_backlog_threshold" {
  description = "Alert when the dead-letter subscription holds more than this many messages."
  type        = number
  default     = 0
}

variable "raw_backlog_age_threshold_seconds" {
  description = "Alert when the BigQuery subscription's oldest unacknowledged message is older than this: the subscription cannot write (table missing, permission revoked) and keeps messages in its backlog without dead-lettering them."
  type        = number
  default     = 900
}

variable "merge_success_window_seconds" {
  description = "Alert when no merge execution has succeeded for this long (the merge job stopped being scheduled or always fails)."
  type        = number
  default     = 1800
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel ids (projects/PROJECT/notificationChannels/ID) every alert policy notifies."
  type        = list(string)
  default     = []
}

variable "report_readers" {
  description = "IAM members (group:reports@example.com, serviceAccount:...) that read the reports: dataViewer on rims_analytics and rims_core."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "Refuse to destroy the datasets' raw table, the relay service and the jobs. Turn off only to tear down a test project."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels on every resource that takes them."
  type        = map(string)
  default     = {}
}
