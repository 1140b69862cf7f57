# One secret per source, mounted into the ingress as the environment variable its sources-file entry names. A
# version may hold several secrets, one per line: that is how a rotation keeps the old and the new one active.
resource "google_secret_manager_secret" "source" {
  for_each  = var.sources
  secret_id = "hookpipe-source-${each.key}"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_iam_member" "ingress_reads_source_secret" {
  for_each  = var.sources
  secret_id = google_secret_manager_secret.source[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.ingress.member
}
