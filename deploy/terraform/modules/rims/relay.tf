# rims-relay on Cloud Run: a service that needs no requests. CPU stays allocated (it publishes
# between requests), a minimum of instances always runs, and nothing outside the project can reach
# it (it has no API; the probes and the Prometheus sidecar reach it inside the instance).
resource "google_cloud_run_v2_service" "relay" {
  project             = var.project_id
  name                = "rims-relay"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    service_account = google_service_account.relay.email
    # SIGTERM drains within RELAY_SHUTDOWN_TIMEOUT (8 s), inside the 10 s Cloud Run allows.

    scaling {
      min_instance_count = var.relay_min_instances
      max_instance_count = var.relay_max_instances
    }

    volumes {
      name = "cloudsql"
      cloud_sql_instance {
        instances = [var.cloud_sql_instance]
      }
    }

    containers {
      name  = "relay"
      image = "${var.relay_image}:${var.relay_image_tag}"

      ports {
        container_port = local.relay_http_port
      }

      resources {
        limits = {
          cpu    = var.relay_cpu
          memory = var.relay_memory
        }
        # No CPU throttling between requests: the relay works without any.
        cpu_idle          = false
        startup_cpu_boost = true
      }

      env {
        name = "DATABASE_URL"
        value_source {
          secret_key_ref {
            secret  = var.relay_database_url_secret
            version = "latest"
          }
        }
      }
      env {
        name  = "PUBSUB_PROJECT_ID"
        value = var.project_id
      }
      env {
        name  = "PUBSUB_TOPIC"
        value = google_pubsub_topic.events.name
      }
      env {
        name  = "RELAY_HTTP_PORT"
        value = "${local.relay_http_port}"
      }
      env {
        name  = "LOG_LEVEL"
        value = var.log_level
      }
      dynamic "env" {
        for_each = var.relay_extra_env
        content {
          name  = env.key
          value = env.value
        }
      }

      volume_mounts {
        name       = "cloudsql"
        mount_path = "/cloudsql"
      }

      # Started = /readyz: registered in PostgreSQL (leases renewed) and Pub/Sub not failing. A new
      # revision whose relays cannot reach either never replaces the running one. Four minutes of
      # tries (period x threshold; Cloud Run allows at most 240 s) cover a slow Cloud SQL
      # connection and a few lease heartbeats.
      startup_probe {
        http_get {
          path = "/readyz"
          port = local.relay_http_port
        }
        period_seconds    = 10
        timeout_seconds   = 3
        failure_threshold = 24
      }

      # Alive = /healthz: only a fatal error or a stopped relay fails it. Never /readyz here: during
      # a Pub/Sub or PostgreSQL outage /readyz is 503 on every replica, and restarting them all
      # would drop their leases and gain nothing (they back off and resume by themselves).
      liveness_probe {
        http_get {
          path = "/healthz"
          port = local.relay_http_port
        }
        period_seconds    = 15
        timeout_seconds   = 3
        failure_threshold = 4
      }
    }

    # Scrapes 0.0.0.0:8080/metrics every 30 s (its default configuration) into Managed Service for
    # Prometheus, where the relay alert policies and the dashboard query them with PromQL.
    containers {
      name       = "prometheus"
      image      = var.gmp_sidecar_image
      depends_on = ["relay"]

      # A whole CPU: with CPU always allocated, Cloud Run takes no fraction of a vCPU, and an
      # instance's vCPUs (the containers' sum) above 1 must be a whole number.
      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle = false
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.relay_cloudsql_client,
    google_pubsub_topic_iam_member.relay_publisher,
    google_secret_manager_secret_iam_member.relay_database_url,
    google_project_iam_member.relay_metric_writer,
  ]
}
