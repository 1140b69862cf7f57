# cloudtrace and telemetry whatever var.tracing says: Cloud Run's own request traces (the trace the log lines carry)
# are kept in Cloud Trace, and the Telemetry API, where hookpipe's spans go when tracing is on, stores spans only in a
# project whose Cloud Trace API is enabled (https://docs.cloud.google.com/stackdriver/docs/reference/telemetry/v1.traces).
# Enabled up front, turning tracing on does not wait for an API to be enabled; neither API costs anything unused.
resource "google_project_service" "apis" {
  for_each = toset([
    "run.googleapis.com",
    "pubsub.googleapis.com",
    "firestore.googleapis.com",
    "secretmanager.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "cloudtrace.googleapis.com",
    "telemetry.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}

data "google_project" "this" {
  project_id = var.project_id
}
