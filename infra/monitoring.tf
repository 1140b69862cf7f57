# The pipeline's metrics, alerts and dashboard.
#
# Metrics are LOG-BASED: counted by Cloud Logging from entries that exist anyway.
# - Accepted webhooks (hookpipe/webhooks_accepted): from Cloud Run's REQUEST LOG, the one entry Cloud Run's front end
#   writes per request (run.googleapis.com%2Frequests: httpRequest with the method, the full URL and the status, and
#   the request's trace). The ingress writes no line of its own for an accepted webhook at the default level: that
#   line cost it 10 to 20% more CPU per webhook (README, Performance), and the request log already says it all.
# - Everything else the ingress does with a webhook (refused, deferred, failed, handshake) from its `event: "webhook"`
#   line, and each delivery from the processor's `event: "delivery"` line, whose fields are declared once in
#   shared/src/metric-lines.ts. An accepted webhook's line, written only at LOG_LEVEL=debug, is excluded from
#   hookpipe/webhooks, so whatever the level it is counted once.
# Not exported from the process through OpenTelemetry, because:
# - nothing to run in the process: no SDK, no exporter, no periodic export (the Cloud Monitoring exporter,
#   @google-cloud/opentelemetry-cloud-monitoring-exporter, depends on the whole `googleapis` package);
# - nothing lost when an instance is killed or scaled in between two export intervals: the line is on stdout as
#   soon as the outcome is known, and Cloud Run ships stdout;
# - both services use request-based billing (cpu_idle in run.tf), and then "when the Cloud Run service finishes
#   handling a request, the instance's access to CPU will be disabled or severely limited": a periodic export
#   outside requests is unreliable (https://cloud.google.com/run/docs/tips/general, "Background activity";
#   https://cloud.google.com/run/docs/configuring/billing-settings);
# - the lines exist anyway, for people reading the logs: a metric costs no extra write.
# The price: a few minutes of ingestion delay before a point shows, and labels limited to what the line carries.
#
# Facts relied on (Google's documentation):
# - User-defined log-based metrics count every entry the Logging API receives for the project, "regardless of any
#   inclusion filters or exclusion filters": logging.tf's exclusion does not hide anything from them (and it only
#   matches request-log entries) (https://cloud.google.com/logging/docs/logs-based-metrics).
# - label_extractors and value_extractor take EXTRACT(field) or REGEXP_EXTRACT(field, "regex"); a label whose
#   extraction fails gets its type's default, "" for a string, so a refusal of an unknown source (no `source` field)
#   is counted with source="" (https://cloud.google.com/logging/docs/logs-based-metrics/labels,
#   https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics).
# - A distribution metric is DELTA/DISTRIBUTION with a value_extractor and bucket_options; a value that cannot be
#   read as a number is not recorded; exponential bucket i covers [scale * growth^(i-1), scale * growth^i)
#   (https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics, LogMetric).
# - A label cannot be deleted or change its type once created, at most 10 per metric, about 30,000 time series per
#   metric: the labels here take values from short closed lists (https://cloud.google.com/logging/docs/logs-based-metrics/labels).
# - Cloud Run writes a request-log entry for every request to a service, "automatically"
#   (https://cloud.google.com/run/docs/logging), with its httpRequest (https://cloud.google.com/logging/docs/reference/
#   v2/rpc/google.logging.type#httprequest: requestUrl is "the scheme (http, https), the host name, the path and the
#   query portion of the URL") and its trace (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry),
#   the same trace the container's lines name, which is how Cloud Logging groups them
#   (https://cloud.google.com/run/docs/samples/cloudrun-manual-logging). The fields a metric may read from it are
#   listed, with these links, in test/support/request-log.ts.
# - A JSON line on a Cloud Run service's stdout becomes an entry of the log run.googleapis.com%2Fstdout on the
#   resource cloud_run_revision, its fields under jsonPayload (https://cloud.google.com/run/docs/logging,
#   https://cloud.google.com/logging/docs/structured-logging).
# - An alert policy on a log-based metric cannot be created until Monitoring knows the metric, which can take a few
#   minutes after it is created: a first apply may fail with "Cannot find metric(s) that match type" and succeeds
#   when run again (https://github.com/hashicorp/terraform-provider-google/issues/11102). The alerts name the
#   metrics through their resources so that Terraform at least creates them first.
#
# infra/monitoring.test.ts holds these to the code: every field a metric reads is in shared/src/metric-lines.ts or
# the request log,
# every chart and alert reads a metric that exists, on the subscriptions and services of topology.tf.

locals {
  stdout_log   = "projects/${var.project_id}/logs/run.googleapis.com%2Fstdout"
  requests_log = "projects/${var.project_id}/logs/run.googleapis.com%2Frequests"

  # The dead-letter subscription drops a message this long after it was dead-lettered (pubsub.tf): the alert on the
  # oldest dead letter leaves two days to act before that.
  dead_letter_alert_margin_seconds = 2 * 86400
  dead_letter_alert_age_seconds    = local.dead_letter_retention_seconds - local.dead_letter_alert_margin_seconds

  # What the dashboard template is rendered with (infra/monitoring.test.ts renders it the same way).
  dashboard_vars = {
    ingress_service                   = local.ingress_service
    processor_service                 = local.processor_service
    push_subscription                 = local.push_subscription
    dead_letter_subscription          = local.dead_letter_subscription
    webhooks_metric                   = "logging.googleapis.com/user/${google_logging_metric.webhooks.name}"
    accepted_metric                   = "logging.googleapis.com/user/${google_logging_metric.webhooks_accepted.name}"
    deliveries_metric                 = "logging.googleapis.com/user/${google_logging_metric.deliveries.name}"
    latency_metric                    = "logging.googleapis.com/user/${google_logging_metric.delivery_latency.name}"
    dead_letter_alert_age_seconds     = local.dead_letter_alert_age_seconds
    push_oldest_unacked_alert_seconds = var.push_oldest_unacked_alert_seconds
  }
}

# ---- metrics ----

# Webhooks accepted, from the request log: a POST to /webhooks/<source> answered 2xx. That is 202 once Pub/Sub has
# the event, or a provider's own answer (Adyen's 200 "[accepted]", Discord's 204); a POST handshake (Slack's
# url_verification, Microsoft Graph's validation) is answered 200 too and is counted here as well as in
# hookpipe/webhooks' `handshake` (rare: once per subscription). The labels stay bounded whatever a stranger sends:
# only a configured source can answer 2xx, and `source` is extracted only when the path segment is written as a
# source name is (sources.ts: lower-case letters, digits, "-", "_"), so a percent-encoded or otherwise rewritten
# spelling that still reached a source counts with source="" rather than as a label of its own; `status` is one of
# the 2xx codes.
resource "google_logging_metric" "webhooks_accepted" {
  name        = "hookpipe/webhooks_accepted"
  description = "Webhooks the ingress accepted (POST /webhooks/<source> answered 2xx, from Cloud Run's request log), by source and status."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    AND resource.labels.service_name="${local.ingress_service}"
    AND logName="${local.requests_log}"
    AND httpRequest.requestMethod="POST"
    AND httpRequest.requestUrl=~"^https?://[^/]+/webhooks/[^/?#]+(?:[?#]|$)"
    AND httpRequest.status>=200
    AND httpRequest.status<300
  EOT
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "hookpipe webhooks accepted"
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "The configured source the URL names; empty for a spelling that is not a source name's."
    }
    labels {
      key         = "status"
      value_type  = "STRING"
      description = "The status answered: 202, or a provider's own 200 or 204 (and 200 for a POST handshake)."
    }
  }
  label_extractors = {
    source = "REGEXP_EXTRACT(httpRequest.requestUrl, \"^https?://[^/]+/webhooks/([a-z0-9][a-z0-9_-]*)(?:[?#]|$)\")"
    status = "EXTRACT(httpRequest.status)"
  }
  depends_on = [google_project_service.apis]
}

# The ingress's lines: refused, deferred, failed and handshake. An accepted webhook's line exists only at
# LOG_LEVEL=debug and is left out, since hookpipe/webhooks_accepted counts it from the request log.
resource "google_logging_metric" "webhooks" {
  name        = "hookpipe/webhooks"
  description = "Requests to /webhooks/<source> the ingress did not accept, by source, outcome and error code."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    AND resource.labels.service_name="${local.ingress_service}"
    AND logName="${local.stdout_log}"
    AND jsonPayload.event="webhook"
    AND NOT jsonPayload.outcome="accepted"
  EOT
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "hookpipe webhooks"
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "The configured source; empty for a name that is not one."
    }
    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "refused, deferred, failed or handshake (accepted ones: hookpipe/webhooks_accepted)."
    }
    labels {
      key         = "code"
      value_type  = "STRING"
      description = "The error code of a refusal or failure (shared/src/errors.ts); empty otherwise."
    }
  }
  label_extractors = {
    source  = "EXTRACT(jsonPayload.source)"
    outcome = "EXTRACT(jsonPayload.outcome)"
    code    = "EXTRACT(jsonPayload.code)"
  }
  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "deliveries" {
  name        = "hookpipe/deliveries"
  description = "Pushes handled by the processor, by source and outcome (processed, duplicate, ignored, retry, dead-lettered)."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    AND resource.labels.service_name="${local.processor_service}"
    AND logName="${local.stdout_log}"
    AND jsonPayload.event="delivery"
  EOT
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "hookpipe deliveries"
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "The source the message came from; empty for a message without the ingress's attributes."
    }
    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "processed, duplicate, ignored, retry or dead-lettered."
    }
  }
  label_extractors = {
    source  = "EXTRACT(jsonPayload.source)"
    outcome = "EXTRACT(jsonPayload.outcome)"
  }
  depends_on = [google_project_service.apis]
}

# From the ingress's receipt to the processor's "processed", retries and redrives included. Buckets grow by 1.4 from
# 5 ms: a percentile is known within 40%, and the finite buckets reach past the dead-letter subscription's 7 days,
# so a dead letter redriven and processed before it expires still lands in one (infra/monitoring.test.ts).
resource "google_logging_metric" "delivery_latency" {
  name        = "hookpipe/delivery_latency"
  description = "Milliseconds from the ingress's receipt of a webhook to its processing, by source."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    AND resource.labels.service_name="${local.processor_service}"
    AND logName="${local.stdout_log}"
    AND jsonPayload.event="delivery"
    AND jsonPayload.outcome="processed"
  EOT
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "hookpipe receive-to-processed latency"
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "The source the message came from."
    }
  }
  label_extractors = {
    source = "EXTRACT(jsonPayload.source)"
  }
  value_extractor = "EXTRACT(jsonPayload.latencyMs)"
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 56
      growth_factor      = 1.4
      scale              = 5
    }
  }
  depends_on = [google_project_service.apis]
}

# ---- alerts ----
# Pub/Sub metrics: https://cloud.google.com/monitoring/api/metrics_gcp_p_z#gcp-pubsub; Cloud Run metrics:
# https://cloud.google.com/monitoring/api/metrics_gcp_p_z#gcp-run. Every policy notifies var.notification_channels.

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "hookpipe: messages in the dead-letter subscription"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Events that the processor could not handle are waiting in `${local.dead_letter_subscription}`: a handler
      failed ${local.max_delivery_attempts} times, threw a PermanentError, or the message was invalid.

      1. See what failed and why: `npx hookpipe dlq list --since 24h` (or the admin page's dead-letter tab).
      2. Fix the cause (a handler bug, a downstream outage, a bad deploy).
      3. Send them back: `npx hookpipe dlq redrive --source <source> --dry-run`, then without `--dry-run`.

      The subscription keeps a dead letter ${local.dead_letter_retention_seconds / 86400} days, then drops it.
    EOT
  }
  conditions {
    display_name = "undelivered messages > 0 on ${local.dead_letter_subscription}"
    condition_threshold {
      filter          = <<-EOT
        resource.type = "pubsub_subscription"
        AND resource.labels.subscription_id = "${local.dead_letter_subscription}"
        AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"
      EOT
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "dead_letter_age" {
  display_name          = "hookpipe: a dead letter is about to expire"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The oldest message in `${local.dead_letter_subscription}` is older than
      ${local.dead_letter_alert_age_seconds / 86400} days. The subscription drops a dead letter
      ${local.dead_letter_retention_seconds / 86400} days after it arrived, without a trace; after that only a seek
      of the dead-letter subscription within the topic's retention (${local.dead_letter_topic_retention_seconds / 86400}
      days) brings it back: `gcloud pubsub subscriptions seek ${local.dead_letter_subscription} --time=<when it failed>`.

      Act now: `npx hookpipe dlq list` to see the oldest, then fix and `npx hookpipe dlq redrive`, or, if they are
      not wanted, acknowledge them deliberately.
    EOT
  }
  conditions {
    display_name = "oldest unacked message on ${local.dead_letter_subscription}"
    condition_threshold {
      filter          = <<-EOT
        resource.type = "pubsub_subscription"
        AND resource.labels.subscription_id = "${local.dead_letter_subscription}"
        AND metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"
      EOT
      comparison      = "COMPARISON_GT"
      threshold_value = local.dead_letter_alert_age_seconds
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "push_backlog" {
  display_name          = "hookpipe: events wait too long for the processor"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The oldest event on the push subscription `${local.push_subscription}` has waited more than
      ${var.push_oldest_unacked_alert_seconds} seconds: the processor is down, failing every push, or too slow for
      the traffic.

      - The dashboard "hookpipe pipeline": deliveries by outcome (all `retry`?), processor instances (at
        `processor_max_instances`?), push backlog.
      - The processor's logs: `resource.labels.service_name="${local.processor_service}" severity>=WARNING`.
      - Raise `processor_max_instances` or `processor_concurrency` if it is capacity; fix and deploy if it fails.
      Events are not lost while they wait; after ${local.max_delivery_attempts} failed pushes they go to the
      dead-letter subscription.
    EOT
  }
  conditions {
    display_name = "oldest unacked message on ${local.push_subscription}"
    condition_threshold {
      filter          = <<-EOT
        resource.type = "pubsub_subscription"
        AND resource.labels.subscription_id = "${local.push_subscription}"
        AND metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"
      EOT
      comparison      = "COMPARISON_GT"
      threshold_value = var.push_oldest_unacked_alert_seconds
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "ingress_errors" {
  display_name          = "hookpipe: the ingress answers 5xx"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      More than ${var.ingress_5xx_ratio_alert * 100}% of the requests to `${local.ingress_service}` not refused
      with a 4xx got a 5xx over 5 minutes. Providers retry a 5xx, but some give up or disable the endpoint (Shopify after 8 failures, GitHub
      never retries on its own).

      - 503 with `code` overloaded or shutting_down (the dashboard's "webhooks by outcome": `deferred`): the ingress
        is shedding load; raise `ingress_max_instances` or `ingress_concurrency`.
      - 500 / `failed`: publishing to Pub/Sub fails; check Pub/Sub's status and the ingress's ERROR lines.
      - 5xx without an ingress line: Cloud Run itself (no instance available, crash at start); see the revision's
        logs and instance count.
    EOT
  }
  conditions {
    display_name = "5xx / all requests on ${local.ingress_service}"
    condition_threshold {
      filter             = <<-EOT
        resource.type = "cloud_run_revision"
        AND resource.labels.service_name = "${local.ingress_service}"
        AND metric.type = "run.googleapis.com/request_count"
        AND metric.labels.response_code_class = "5xx"
      EOT
      # 4xx answers are left out of the denominator: a stranger's junk requests (404, 401) would otherwise dilute
      # the ratio and keep a real outage silent.
      denominator_filter = <<-EOT
        resource.type = "cloud_run_revision"
        AND resource.labels.service_name = "${local.ingress_service}"
        AND metric.type = "run.googleapis.com/request_count"
        AND NOT metric.labels.response_code_class = "4xx"
      EOT
      comparison         = "COMPARISON_GT"
      threshold_value    = var.ingress_5xx_ratio_alert
      duration           = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "dead_lettered_rate" {
  display_name          = "hookpipe: deliveries are being dead-lettered"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The processor dead-lettered more than ${var.dead_lettered_per_minute_alert} deliveries a minute over 5 minutes:
      more than the odd poison message, most likely a handler bug, a bad deploy or a downstream outage.

      - Which source: the dashboard's "deliveries by outcome", or `npx hookpipe dlq list --since 1h`.
      - The errors: the processor's `delivery dead-lettered` lines and each dead letter's `errorMessage`.
      - Roll back or fix, then `npx hookpipe dlq redrive --source <source>`.
    EOT
  }
  conditions {
    display_name = "dead-lettered deliveries per minute"
    condition_threshold {
      filter          = <<-EOT
        resource.type = "cloud_run_revision"
        AND resource.labels.service_name = "${local.processor_service}"
        AND metric.type = "logging.googleapis.com/user/${google_logging_metric.deliveries.name}"
        AND metric.labels.outcome = "dead-lettered"
      EOT
      comparison      = "COMPARISON_GT"
      threshold_value = var.dead_lettered_per_minute_alert / 60
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }
  depends_on = [google_project_service.apis]
}

# ---- dashboard ----

resource "google_monitoring_dashboard" "pipeline" {
  dashboard_json = templatefile("${path.module}/dashboard.json.tftpl", local.dashboard_vars)
  depends_on     = [google_project_service.apis]
}
