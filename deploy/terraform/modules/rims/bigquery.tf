# Ownership of BigQuery (README, "Deploying with Terraform"):
# - Terraform: the three datasets, and the raw table, because the BigQuery subscription and the
#   Pub/Sub agent's table-level grant need the table to exist in the same apply;
# - `rims-merger provision --only warehouse` (run by CI after `terraform apply`): every other table,
#   the validation functions, the views, and new raw columns a release adds. Its DDL is reviewed SQL
#   with golden files and a ZetaSQL check, evolved by a release; Terraform would either replace
#   tables on a schema change or fight provision over it.

resource "google_bigquery_dataset" "tiers" {
  for_each = local.datasets

  project     = var.project_id
  dataset_id  = each.value
  location    = var.bigquery_location
  description = "RIMS commitment events, ${each.key} tier (tables created by rims-merger provision)."
  labels      = var.labels

  # Tables in these datasets belong to provision; destroying the module must never drop them.
  delete_contents_on_destroy = false

  depends_on = [google_project_service.apis]
}

# The table sql/bigquery/ddl/002_raw_item_events.generated.sql describes: partitioned by publish
# time, clustered by subject and type, partitions expiring, every read filtered on publish_time.
# provision's `CREATE TABLE IF NOT EXISTS` then finds it, and its `ALTER TABLE ... SET OPTIONS`
# re-applies the same expiration (the jobs get the same MERGER_RAW_PARTITION_EXPIRATION).
resource "google_bigquery_table" "raw_item_events" {
  project     = var.project_id
  dataset_id  = google_bigquery_dataset.tiers["raw"].dataset_id
  table_id    = local.raw_table_id
  description = "RIMS item events as landed by the Pub/Sub BigQuery subscription (at least once: duplicates possible)"
  labels      = var.labels

  schema = file(local.raw_table_schema_file)

  time_partitioning {
    type          = var.raw_partition
    field         = "publish_time"
    expiration_ms = var.raw_partition_expiration_days * 86400000
  }
  require_partition_filter = true
  clustering               = ["subject", "type"]

  deletion_protection = var.deletion_protection

  lifecycle {
    # Columns a release adds are added by `rims-merger provision` (an additive schema patch, RECORD
    # fields included). Terraform creates the table with the columns of its release and then leaves
    # the schema alone, so an older checkout never plans to drop columns.
    ignore_changes = [schema]
  }
}
