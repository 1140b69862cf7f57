resource "google_firestore_database" "default" {
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"
  depends_on  = [google_project_service.apis]
}

# Ledger documents delete themselves after `expireAt` (30 days by default, HOOKPIPE_LEDGER_RETENTION_DAYS).
resource "google_firestore_field" "ledger_ttl" {
  database   = google_firestore_database.default.name
  collection = local.ledger_collection
  field      = "expireAt"
  ttl_config {}
  index_config {}
}

resource "google_firestore_field" "force_windows_ttl" {
  database   = google_firestore_database.default.name
  collection = local.force_windows_collection
  field      = "expireAt"
  ttl_config {}
  index_config {}
}

# `hookpipe events list` filters on one of these fields and orders by creation, newest first; Firestore merges
# these indexes when several filters are given.
resource "google_firestore_index" "ledger" {
  for_each   = toset(["status", "source", "eventType", "resourceKey"])
  database   = google_firestore_database.default.name
  collection = local.ledger_collection
  fields {
    field_path = each.value
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAt"
    order      = "DESCENDING"
  }
}
