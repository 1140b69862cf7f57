output "ingress_url" {
  description = "Point providers at <ingress_url>/webhooks/<source>. Null until the services exist (create_services)."
  value       = one(google_cloud_run_v2_service.ingress[*].uri)
}

output "processor_url" {
  description = "Private: reach its /admin page with `gcloud run services proxy hookpipe-processor`. Null until the services exist."
  value       = one(google_cloud_run_v2_service.processor[*].uri)
}

output "events_topic" {
  value = google_pubsub_topic.events.id
}

output "dead_letter_subscription" {
  value = google_pubsub_subscription.dead_letter.id
}

output "image_repository" {
  description = "Where cloudbuild.yaml pushes the images."
  value       = local.image_base
}

output "source_secrets" {
  description = "The Secret Manager secret of each source: add a version with its signing secret."
  value       = { for name, secret in google_secret_manager_secret.source : name => secret.secret_id }
}
