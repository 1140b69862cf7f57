variable "project_id" {
  description = "The Google Cloud project hookpipe runs in."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run services and the Artifact Registry repository."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Location of the Firestore database that holds the ledger (a region or a multi-region such as eur3)."
  type        = string
  default     = "eur3"
}

variable "create_services" {
  description = "false for the first apply into an empty project: all but the Cloud Run services and what needs them (README, Deploy)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "The commit whose images the services are created with; unused once they exist (Cloud Build deploys)."
  type        = string
  default     = null
}

variable "sources" {
  description = "One entry per webhook source: the environment variable its sources-file entry names (secrets: [{ env: ... }]). Each gets a Secret Manager secret mounted into the ingress as that variable."
  type = map(object({
    env = string
  }))
  default = {
    stripe = { env = "STRIPE_WEBHOOK_SECRET" }
    github = { env = "GITHUB_WEBHOOK_SECRET" }
  }
}

variable "sources_file" {
  description = "Path of the sources file inside the image."
  type        = string
  default     = "config/sources.yaml"
}

variable "ingress_min_instances" {
  description = "Instances kept warm, so a burst after a quiet spell does not wait for cold starts."
  type        = number
  default     = 1
}

variable "ingress_max_instances" {
  type    = number
  default = 100
}

variable "ingress_concurrency" {
  description = "Requests per ingress instance; the ingress only verifies and publishes, so it takes many at once."
  type        = number
  default     = 250
}

variable "processor_max_instances" {
  type    = number
  default = 50
}

variable "processor_concurrency" {
  description = "Pushes per processor instance (HOOKPIPE_MAX_CONCURRENT_DELIVERIES bounds the handlers running at once inside it)."
  type        = number
  default     = 32
}

variable "handlers_module" {
  description = "HOOKPIPE_HANDLERS for the processor: the handlers module inside the image."
  type        = string
  default     = "dist/processor/src/examples/handlers.js"
}

variable "operators" {
  description = "Members (user:, group:) who may reach the processor's admin page through `gcloud run services proxy`."
  type        = list(string)
  default     = []
}

variable "cloudbuild_service_account" {
  description = "The service account Cloud Build deploys with; empty for the project's default Cloud Build account."
  type        = string
  default     = ""
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channels (projects/<project>/notificationChannels/<id>) every hookpipe alert notifies; empty: alerts show in the console only."
  type        = list(string)
  default     = []
}

variable "push_oldest_unacked_alert_seconds" {
  description = "Alert when the push subscription's oldest event has waited longer than this. The default is above the longest one event's own retries can take (attempts x (ack deadline + maximum backoff) = 6600 s), so it means a backlog, not one failing event."
  type        = number
  default     = 7200
}

variable "ingress_5xx_ratio_alert" {
  description = "Alert when more than this fraction of the ingress's requests get a 5xx over 5 minutes."
  type        = number
  default     = 0.05
}

variable "dead_lettered_per_minute_alert" {
  description = "Alert when the processor dead-letters more than this many deliveries a minute over 5 minutes."
  type        = number
  default     = 1
}

variable "tracing" {
  description = "HOOKPIPE_TRACING for both services: \"off\" (the log lines still carry each webhook's trace) or \"cloud-trace\" (spans to Cloud Trace through its Telemetry (OTLP) API, telemetry.googleapis.com, sampled as Cloud Run samples requests; grants both service accounts roles/telemetry.tracesWriter and roles/serviceusage.serviceUsageConsumer on the project; apis.tf enables the Telemetry and Cloud Trace APIs either way)."
  type        = string
  default     = "off"
  validation {
    condition     = contains(["off", "cloud-trace"], var.tracing)
    error_message = "tracing is \"off\" or \"cloud-trace\"."
  }
}
