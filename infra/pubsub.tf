resource "google_pubsub_topic" "events" {
  name       = local.topic
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  name = local.dead_letter_topic
  # Kept longer than its subscription keeps messages, so the dead-letter subscription can be sought back too.
  message_retention_duration = "${local.dead_letter_topic_retention_seconds}s"
  depends_on                 = [google_project_service.apis]
}

# Without a subscription, what Pub/Sub dead-letters is dropped. Operators read and replay it (hookpipe dlq).
resource "google_pubsub_subscription" "dead_letter" {
  name                       = local.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter.id
  ack_deadline_seconds       = local.ack_deadline_seconds
  message_retention_duration = "${local.dead_letter_retention_seconds}s"
  expiration_policy {
    ttl = ""
  }
}

# Created with the processor it pushes to (create_services).
resource "google_pubsub_subscription" "push" {
  count                      = var.create_services ? 1 : 0
  name                       = local.push_subscription
  topic                      = google_pubsub_topic.events.id
  ack_deadline_seconds       = local.ack_deadline_seconds
  retain_acked_messages      = true
  message_retention_duration = "${local.retention_seconds}s"
  enable_message_ordering    = local.message_ordering

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "${local.minimum_backoff_seconds}s"
    maximum_backoff = "${local.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = local.max_delivery_attempts
  }

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.processor[0].uri}/pubsub/push"
    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = local.push_audience
    }
  }

  # A dead-letter policy without these grants fails silently and poison messages loop forever.
  depends_on = [
    google_pubsub_topic_iam_member.service_agent_publishes_dead_letters,
    google_project_service.apis,
  ]
}

# The Pub/Sub service agent moves messages to the dead-letter topic: it must publish there and subscribe to the
# source subscription.
locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "service_agent_publishes_dead_letters" {
  topic  = google_pubsub_topic.dead_letter.name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "service_agent_subscribes_push" {
  count        = var.create_services ? 1 : 0
  subscription = google_pubsub_subscription.push[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# The service agent mints the OIDC tokens of the push identity.
resource "google_service_account_iam_member" "service_agent_mints_push_tokens" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}
