resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = local.repository
  format        = "DOCKER"
  description   = "hookpipe container images, tagged with the commit they were built from"
  depends_on    = [google_project_service.apis]
}

# Cloud Build builds, pushes and deploys (cloudbuild.yaml).
locals {
  cloudbuild_member = "serviceAccount:${var.cloudbuild_service_account != "" ? var.cloudbuild_service_account : "${data.google_project.this.number}@cloudbuild.gserviceaccount.com"}"
}

resource "google_artifact_registry_repository_iam_member" "cloudbuild_pushes" {
  location   = var.region
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = local.cloudbuild_member
}

resource "google_project_iam_member" "cloudbuild_deploys" {
  project = var.project_id
  role    = "roles/run.developer"
  member  = local.cloudbuild_member
}

resource "google_service_account_iam_member" "cloudbuild_acts_as" {
  for_each           = { ingress = google_service_account.ingress.name, processor = google_service_account.processor.name }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = local.cloudbuild_member
}
