# Both services need their images built and, for the ingress, every source secret to have a version: Cloud Run
# reads a secret mounted as an environment variable before it starts an instance, and an instance whose secret
# cannot be read does not start (https://cloud.google.com/run/docs/configuring/services/secrets), so the revision
# never becomes ready. Hence `create_services = false` for the first apply (README, Deploy to Google Cloud).
resource "google_cloud_run_v2_service" "ingress" {
  count               = var.create_services ? 1 : 0
  name                = local.ingress_service
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    service_account                  = google_service_account.ingress.email
    max_instance_request_concurrency = var.ingress_concurrency
    timeout                          = "30s"

    scaling {
      min_instance_count = var.ingress_min_instances
      max_instance_count = var.ingress_max_instances
    }

    containers {
      image = local.ingress_image
      ports {
        container_port = 8080
      }
      resources {
        limits = {
          cpu = "1"
          # Headroom: under a burst at five times its saturation rate the ingress peaked near 400 MB RSS (bench/).
          memory = "1Gi"
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }
      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }
      env {
        name  = "HOOKPIPE_SOURCES"
        value = var.sources_file
      }
      env {
        name  = "HOOKPIPE_TOPIC"
        value = google_pubsub_topic.events.name
      }
      # The body budget is sized from these two (ingress/src/body-budget.ts): Cloud Run does not tell the container its
      # memory or concurrency. infra/ingress-memory.test.ts holds them equal to the limits above.
      env {
        name  = "HOOKPIPE_MEMORY_LIMIT"
        value = "1Gi"
      }
      env {
        name  = "HOOKPIPE_CONCURRENCY"
        value = tostring(var.ingress_concurrency)
      }
      env {
        name  = "HOOKPIPE_TRACING"
        value = var.tracing
      }
      dynamic "env" {
        for_each = var.sources
        content {
          name = env.value.env
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.source[env.key].secret_id
              version = "latest"
            }
          }
        }
      }
      startup_probe {
        http_get {
          path = "/healthz"
        }
      }
      liveness_probe {
        http_get {
          path = "/healthz"
        }
      }
    }
  }

  lifecycle {
    # Cloud Build deploys new images; Terraform owns everything else.
    ignore_changes = [template[0].containers[0].image, client, client_version]
    # Only a service being created has this image (an existing one keeps the image Cloud Build deployed).
    postcondition {
      condition     = !endswith(self.template[0].containers[0].image, ":${local.unset_image_tag}")
      error_message = "Set image_tag to the commit of the images Cloud Build pushed (README, Deploy to Google Cloud)."
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.ingress_reads_source_secret]
}

resource "google_cloud_run_v2_service" "processor" {
  count    = var.create_services ? 1 : 0
  name     = local.processor_service
  location = var.region
  # Reachable from Pub/Sub and `gcloud run services proxy`, but private: every request needs run.invoker.
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false
  # Cloud Run's IAM check admits an ID token only when its audience is the service's run.app URL or one of these
  # (https://cloud.google.com/run/docs/configuring/custom-audiences; the provider's `custom_audiences`,
  # https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/cloud_run_v2_service#custom_audiences).
  # Pushes carry local.push_audience rather than the run.app URL, which the processor's own HOOKPIPE_PUSH_AUDIENCE
  # cannot name; without this line every push is refused before the container sees it.
  custom_audiences = [local.push_audience]

  template {
    service_account                  = google_service_account.processor.email
    max_instance_request_concurrency = var.processor_concurrency
    # A push request lives as long as the ack deadline.
    timeout = "${local.ack_deadline_seconds}s"

    scaling {
      min_instance_count = 0
      max_instance_count = var.processor_max_instances
    }

    containers {
      image = local.processor_image
      ports {
        container_port = 8080
      }
      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }
      dynamic "env" {
        for_each = {
          GOOGLE_CLOUD_PROJECT              = var.project_id
          HOOKPIPE_HANDLERS                 = var.handlers_module
          HOOKPIPE_PUSH_AUTH                = "cloud-run"
          HOOKPIPE_PUSH_AUDIENCE            = local.push_audience
          HOOKPIPE_PUSH_SERVICE_ACCOUNT     = google_service_account.push.email
          HOOKPIPE_TOPIC                    = local.topic
          HOOKPIPE_DEAD_LETTER_TOPIC        = local.dead_letter_topic
          HOOKPIPE_DEAD_LETTER_SUBSCRIPTION = local.dead_letter_subscription
          HOOKPIPE_PUSH_SUBSCRIPTION        = local.push_subscription
          HOOKPIPE_MAX_DELIVERY_ATTEMPTS    = tostring(local.max_delivery_attempts)
          HOOKPIPE_ACK_DEADLINE_SECONDS     = tostring(local.ack_deadline_seconds)
          HOOKPIPE_LEDGER_COLLECTION        = local.ledger_collection
          HOOKPIPE_TRACING                  = var.tracing
        }
        content {
          name  = env.key
          value = env.value
        }
      }
      startup_probe {
        http_get {
          path = "/healthz"
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
    # Only a service being created has this image (an existing one keeps the image Cloud Build deployed).
    postcondition {
      condition     = !endswith(self.template[0].containers[0].image, ":${local.unset_image_tag}")
      error_message = "Set image_tag to the commit of the images Cloud Build pushed (README, Deploy to Google Cloud)."
    }
  }

  depends_on = [google_project_iam_member.processor_uses_firestore, google_firestore_database.default]
}
