# Production root module: the whole RIMS pipeline in one project, applied from CI (README,
# "Deploying with Terraform"). State lives in a GCS bucket given at init:
#   terraform init -backend-config="bucket=$TF_STATE_BUCKET" -backend-config="prefix=rims/production"
terraform {
  required_version = ">= 1.5"

  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

module "rims" {
  source = "../../modules/rims"

  project_id        = var.project_id
  region            = var.region
  bigquery_location = var.bigquery_location

  relay_image      = "${var.region}-docker.pkg.dev/${var.project_id}/rims/rims-relay"
  relay_image_tag  = var.relay_image_tag
  merger_image     = "${var.region}-docker.pkg.dev/${var.project_id}/rims/rims-merger"
  merger_image_tag = var.merger_image_tag

  cloud_sql_instance        = var.cloud_sql_instance
  relay_database_url_secret = var.relay_database_url_secret

  relay_min_instances = 2
  relay_max_instances = 4

  notification_channels = var.notification_channels
  report_readers        = var.report_readers

  labels = {
    app         = "rims"
    environment = "production"
  }
}

variable "project_id" {
  description = "The production project."
  type        = string
}

variable "region" {
  description = "Region of Cloud Run, Cloud Scheduler and the image registry."
  type        = string
  default     = "europe-west1"
}

variable "bigquery_location" {
  description = "BigQuery location of the datasets."
  type        = string
  default     = "EU"
}

variable "relay_image_tag" {
  description = "Release tag of the relay image; CI passes -var relay_image_tag=$RELEASE."
  type        = string
}

variable "merger_image_tag" {
  description = "Release tag of the merger image; CI passes -var merger_image_tag=$RELEASE."
  type        = string
}

variable "cloud_sql_instance" {
  description = "PROJECT:REGION:INSTANCE of the RIMS database."
  type        = string
}

variable "relay_database_url_secret" {
  description = "Secret Manager secret id holding the relay's DATABASE_URL."
  type        = string
  default     = "rims-relay-database-url"
}

variable "notification_channels" {
  description = "Notification channel ids the alerts page."
  type        = list(string)
  default     = []
}

variable "report_readers" {
  description = "Who reads the reports (group:..., serviceAccount:...)."
  type        = list(string)
  default     = []
}

output "provision_command" {
  description = "Run after apply, as the CI identity: creates and upgrades the BigQuery tables, functions and views."
  value       = module.rims.provision_command
}

output "rims" {
  description = "Names of what the module created."
  value = {
    topic            = module.rims.topic
    raw_subscription = module.rims.raw_subscription
    datasets         = module.rims.datasets
    relay_service    = module.rims.relay_service
    merger_jobs      = module.rims.merger_jobs
    dashboard        = module.rims.dashboard
  }
}
