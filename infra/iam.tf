# Three identities, each with only what it needs.
resource "google_service_account" "ingress" {
  account_id   = "hookpipe-ingress"
  display_name = "hookpipe ingress: verifies webhooks and publishes them"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "processor" {
  account_id   = "hookpipe-processor"
  display_name = "hookpipe processor: runs handlers, keeps the ledger, dead-letters and replays"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "push" {
  account_id   = "hookpipe-push"
  display_name = "hookpipe push identity: Pub/Sub pushes to the processor as this account"
  depends_on   = [google_project_service.apis]
}

# Ingress: publish to the events topic (and read its metadata, for /readyz); read its sources' secrets.
resource "google_pubsub_topic_iam_member" "ingress_publishes_events" {
  topic  = google_pubsub_topic.events.name
  role   = "roles/pubsub.publisher"
  member = google_service_account.ingress.member
}

resource "google_pubsub_topic_iam_member" "ingress_reads_events_topic" {
  topic  = google_pubsub_topic.events.name
  role   = "roles/pubsub.viewer"
  member = google_service_account.ingress.member
}

# Processor: publish dead letters; read and ack the dead-letter subscription and republish replays (admin API);
# seek its own subscription (seek replay); use Firestore (the ledger and the example handlers).
resource "google_pubsub_topic_iam_member" "processor_publishes_dead_letters" {
  topic  = google_pubsub_topic.dead_letter.name
  role   = "roles/pubsub.publisher"
  member = google_service_account.processor.member
}

resource "google_pubsub_subscription_iam_member" "processor_reads_dead_letters" {
  subscription = google_pubsub_subscription.dead_letter.name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.processor.member
}

resource "google_pubsub_topic_iam_member" "processor_republishes_replays" {
  topic  = google_pubsub_topic.events.name
  role   = "roles/pubsub.publisher"
  member = google_service_account.processor.member
}

resource "google_pubsub_subscription_iam_member" "processor_seeks_push" {
  count        = var.create_services ? 1 : 0
  subscription = google_pubsub_subscription.push[0].name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.processor.member
}

# The processor reads its push subscription's ack deadline and max delivery attempts at start-up, so its deadlines
# cannot drift from the subscription's. That needs pubsub.subscriptions.get, which roles/pubsub.subscriber lacks
# (https://cloud.google.com/pubsub/docs/access-control lists it under roles/pubsub.viewer).
resource "google_pubsub_subscription_iam_member" "processor_reads_push_settings" {
  count        = var.create_services ? 1 : 0
  subscription = google_pubsub_subscription.push[0].name
  role         = "roles/pubsub.viewer"
  member       = google_service_account.processor.member
}

resource "google_project_iam_member" "processor_uses_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.processor.member
}

# Push identity: may only invoke the processor. The invoker grants exist once the services do (create_services).
resource "google_cloud_run_v2_service_iam_member" "push_invokes_processor" {
  count    = var.create_services ? 1 : 0
  name     = google_cloud_run_v2_service.processor[0].name
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.push.member
}

resource "google_cloud_run_v2_service_iam_member" "operators_reach_admin" {
  for_each = var.create_services ? toset(var.operators) : toset([])
  name     = google_cloud_run_v2_service.processor[0].name
  location = var.region
  role     = "roles/run.invoker"
  member   = each.value
}

# The ingress is public: providers call it, and the signatures are its authentication.
resource "google_cloud_run_v2_service_iam_member" "public_ingress" {
  count    = var.create_services ? 1 : 0
  name     = google_cloud_run_v2_service.ingress[0].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# With tracing on, each service writes its spans with its own account to Cloud Trace's Telemetry (OTLP) API
# (shared/src/tracing-sdk.ts): roles/telemetry.tracesWriter holds telemetry.traces.write, the one permission for
# writing spans there (https://cloud.google.com/iam/docs/roles-permissions/telemetry); roles/cloudtrace.agent, for the
# retired Cloud Trace exporter, is no longer granted. The exporter names the project in x-goog-user-project, its quota
# project, and the Telemetry API asks the caller for roles/serviceusage.serviceUsageConsumer on that project
# (https://docs.cloud.google.com/stackdriver/docs/otlp/overview, Authentication).
resource "google_project_iam_member" "services_write_traces" {
  for_each = var.tracing == "cloud-trace" ? {
    for pair in setproduct(["ingress", "processor"], ["roles/telemetry.tracesWriter", "roles/serviceusage.serviceUsageConsumer"]) :
    "${pair[0]} ${pair[1]}" => pair
  } : {}
  project = var.project_id
  role    = each.value[1]
  member  = each.value[0] == "ingress" ? google_service_account.ingress.member : google_service_account.processor.member
}
