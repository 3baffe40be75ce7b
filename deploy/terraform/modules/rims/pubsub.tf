# What `rims-merger provision` creates on Pub/Sub for a BigQuery warehouse (provisionPubSub and
# rawSubscriptionRequest in packages/merger/src/provision.ts), with the same settings; the test
# compares them field by field.

resource "google_pubsub_topic" "events" {
  project = var.project_id
  name    = local.topic_name
  labels  = var.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = local.dead_letter_topic_name
  labels  = var.labels

  depends_on = [google_project_service.apis]
}

# Pub/Sub keeps a topic's messages only for its subscriptions: without this one, dead letters vanish.
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = local.dead_letter_subscription_name
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"
  labels                     = var.labels

  # Nobody pulls this subscription until something goes wrong, and Pub/Sub deletes a subscription
  # after 31 days without activity by default: it would be gone exactly when it is needed.
  # (`provision` leaves the default; this is the one setting where Terraform differs on purpose.)
  expiration_policy {
    ttl = ""
  }
}

# The BigQuery subscription that writes rims_raw.item_events: the envelope lands as columns
# (use_table_schema), Pub/Sub's metadata in its own columns (write_metadata), data fields the table
# does not have yet are dropped until `provision` adds them (drop_unknown_fields), and a message
# BigQuery cannot write goes to the dead-letter topic after max_delivery_attempts deliveries.
# sql/bigquery/README.md has the column mapping with Google's documentation cited.
resource "google_pubsub_subscription" "raw" {
  project                    = var.project_id
  name                       = local.raw_subscription_name
  topic                      = google_pubsub_topic.events.id
  message_retention_duration = "604800s"
  # The merge does not need ordering, and ordering would hold an item's later events behind one
  # message BigQuery cannot write.
  enable_message_ordering = false
  labels                  = var.labels

  bigquery_config {
    table               = "${var.project_id}.${google_bigquery_table.raw_item_events.dataset_id}.${google_bigquery_table.raw_item_events.table_id}"
    use_table_schema    = true
    write_metadata      = true
    drop_unknown_fields = true
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Pub/Sub backs off failed writes within these bounds.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  # An idle topic must not make the subscription expire and silently stop landing events.
  expiration_policy {
    ttl = ""
  }

  # Pub/Sub checks at creation that its agent can write the table.
  depends_on = [google_bigquery_table_iam_member.pubsub_agent_raw_table]
}
