output "topic" {
  description = "The topic the relay publishes to (projects/PROJECT/topics/rims-item-events)."
  value       = google_pubsub_topic.events.id
}

output "raw_subscription" {
  description = "The BigQuery subscription that writes rims_raw.item_events."
  value       = google_pubsub_subscription.raw.id
}

output "dead_letter_subscription" {
  description = "Where the messages BigQuery could not write wait (7 days)."
  value       = google_pubsub_subscription.dead_letter.id
}

output "datasets" {
  description = "BigQuery dataset ids by tier."
  value       = { for tier, dataset in google_bigquery_dataset.tiers : tier => dataset.dataset_id }
}

output "raw_table" {
  description = "The raw table as PROJECT.DATASET.TABLE."
  value       = "${var.project_id}.${google_bigquery_table.raw_item_events.dataset_id}.${google_bigquery_table.raw_item_events.table_id}"
}

output "relay_service" {
  description = "The relay's Cloud Run service."
  value       = google_cloud_run_v2_service.relay.name
}

output "merger_jobs" {
  description = "The merger's Cloud Run jobs (merge, audit, check)."
  value       = [for job in google_cloud_run_v2_job.merger : job.name]
}

output "service_accounts" {
  description = "Emails of the identities this module creates."
  value = {
    relay     = google_service_account.relay.email
    merger    = google_service_account.merger.email
    scheduler = google_service_account.scheduler.email
  }
}

output "pubsub_service_agent" {
  description = "The Pub/Sub service agent the grants above are for."
  value       = trimprefix(local.pubsub_agent, "serviceAccount:")
}

output "dashboard" {
  description = "The Cloud Monitoring dashboard's id."
  value       = google_monitoring_dashboard.rims.id
}

output "provision_command" {
  description = "What CI runs after `terraform apply`, with the provisioning identity, to create and upgrade the tables, functions and views Terraform leaves to rims-merger (same raw-table settings as the table above)."
  value       = "rims-merger provision --only warehouse --warehouse-url ${local.warehouse_url} --raw-partition ${var.raw_partition} --raw-partition-expiration ${var.raw_partition_expiration_days}d"
}
