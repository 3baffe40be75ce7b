# Identities and grants: exactly the README's "IAM, per component" table, which
# test/terraform.test.ts parses and compares with every *_iam_member below (both ways).

resource "google_service_account" "relay" {
  project      = var.project_id
  account_id   = "rims-relay"
  display_name = "RIMS relay (publishes the outbox to Pub/Sub)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "merger" {
  project      = var.project_id
  account_id   = "rims-merger"
  display_name = "RIMS merger (merge, audit and check jobs)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "rims-scheduler"
  display_name = "RIMS Cloud Scheduler (starts the merger jobs)"

  depends_on = [google_project_service.apis]
}

# --- relay -------------------------------------------------------------------------------------

resource "google_project_iam_member" "relay_cloudsql_client" {
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${google_service_account.relay.email}"
}

resource "google_pubsub_topic_iam_member" "relay_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.events.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.relay.email}"
}

resource "google_secret_manager_secret_iam_member" "relay_database_url" {
  project   = var.project_id
  secret_id = var.relay_database_url_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.relay.email}"
}

# The Prometheus sidecar writes the relay's metrics with the service's identity.
resource "google_project_iam_member" "relay_metric_writer" {
  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = "serviceAccount:${google_service_account.relay.email}"
}

# --- Pub/Sub service agent (writes the BigQuery subscription, forwards dead letters) ------------

resource "google_bigquery_table_iam_member" "pubsub_agent_raw_table" {
  project    = var.project_id
  dataset_id = google_bigquery_table.raw_item_events.dataset_id
  table_id   = google_bigquery_table.raw_item_events.table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_raw_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.raw.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# --- merger ------------------------------------------------------------------------------------

resource "google_project_iam_member" "merger_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.merger.email}"
}

resource "google_bigquery_dataset_iam_member" "merger_core_editor" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.tiers["core"].dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.merger.email}"
}

resource "google_bigquery_dataset_iam_member" "merger_analytics_editor" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.tiers["analytics"].dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.merger.email}"
}

resource "google_bigquery_dataset_iam_member" "merger_raw_viewer" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.tiers["raw"].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.merger.email}"
}

# `rims-merger check` counts the dead letters by pulling their keeping subscription (and handing
# them back at once); without this every check run reads nothing and reports a breach.
resource "google_pubsub_subscription_iam_member" "merger_dead_letter_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.dead_letter.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_service_account.merger.email}"
}

# --- Cloud Scheduler ---------------------------------------------------------------------------

resource "google_cloud_run_v2_job_iam_member" "scheduler_invoker" {
  for_each = local.merger_jobs

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.merger[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# --- report readers ----------------------------------------------------------------------------

resource "google_bigquery_dataset_iam_member" "report_readers_analytics" {
  for_each = toset(var.report_readers)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.tiers["analytics"].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}

# The view reads rims_core with the reader's rights (it is not an authorized view), so readers need
# rims_core too.
resource "google_bigquery_dataset_iam_member" "report_readers_core" {
  for_each = toset(var.report_readers)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.tiers["core"].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
