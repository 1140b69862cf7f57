# Cloud Run writes a request log entry for every request to a service (https://cloud.google.com/run/docs/logging),
# and its httpRequest.requestUrl holds the path and the query string
# (https://cloud.google.com/logging/docs/reference/v2/rpc/google.logging.type, HttpRequest). Meta's subscription
# handshake carries the verify token in the query string, so that entry is dropped before it is stored: an
# exclusion on the project's _Default sink (https://cloud.google.com/logging/docs/routing/overview, exclusion
# filters; the `:` operator matches a substring, https://cloud.google.com/logging/docs/view/logging-query-language).
# The ingress still logs the handshake itself, without the query string. Sinks of your own need the same filter.
resource "google_logging_project_exclusion" "verify_token_requests" {
  name        = "hookpipe-ingress-verify-token"
  description = "Meta's verify token rides in the query string of its handshake: keep those ingress requests out of stored logs."
  filter      = <<-EOT
    logName="projects/${var.project_id}/logs/run.googleapis.com%2Frequests"
    AND resource.type="cloud_run_revision"
    AND resource.labels.service_name="${local.ingress_service}"
    AND httpRequest.requestUrl:"hub.verify_token"
  EOT
  depends_on  = [google_project_service.apis]
}
