# The merger's Cloud Run jobs (local.merger_jobs: merge, audit, check), each started by Cloud
# Scheduler through the Cloud Run Admin API with the scheduler's identity.

resource "google_cloud_run_v2_job" "merger" {
  for_each = local.merger_jobs

  project             = var.project_id
  name                = each.key
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.merger.email
      # A run holds the merge lease (MERGER_LEASE_TTL, 15 min by default) at most this long.
      timeout     = each.value.timeout
      max_retries = each.value.max_retries

      containers {
        image = "${var.merger_image}:${var.merger_image_tag}"
        args  = each.value.args

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = local.merger_env
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.merger_job_user,
    google_bigquery_dataset_iam_member.merger_core_editor,
    google_bigquery_dataset_iam_member.merger_analytics_editor,
    google_bigquery_dataset_iam_member.merger_raw_viewer,
  ]
}

resource "google_cloud_scheduler_job" "merger" {
  for_each = local.merger_jobs

  project          = var.project_id
  region           = var.region
  name             = "${each.key}-schedule"
  description      = "Starts the Cloud Run job ${each.key}."
  schedule         = each.value.schedule
  time_zone        = var.schedule_time_zone
  attempt_deadline = "60s"
  paused           = contains(var.paused_schedules, each.key)

  # The :run call only starts an execution; a failed start is retried at the next tick, and a
  # failed execution shows in the job's own metrics (alert policies below).
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.merger[each.key].name}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_invoker]
}
