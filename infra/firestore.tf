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

# `hookpipe stats`, the admin API's stats and the Overview count the ledger with aggregation queries
# (ops/src/stats.ts), which use the indexes a query with the same filters would
# (https://cloud.google.com/firestore/docs/query-data/aggregation-queries). Alone, a status or a source over a time
# range is served by the indexes above (createdAt descending, as the stats order); both together need this one;
# and avg(latencyMs) reads the field from an index, so it needs the field in one
# (https://cloud.google.com/blog/products/databases/aggregate-with-sum-and-avg-in-firestore: "a field must be
# indexed to calculate an aggregation"). Each count is billed one read per 1,000 index entries it matches
# (https://cloud.google.com/firestore/pricing).
resource "google_firestore_index" "ledger_source_status" {
  database   = google_firestore_database.default.name
  collection = local.ledger_collection
  fields {
    field_path = "source"
    order      = "ASCENDING"
  }
  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAt"
    order      = "DESCENDING"
  }
}

resource "google_firestore_index" "ledger_latency" {
  database   = google_firestore_database.default.name
  collection = local.ledger_collection
  fields {
    field_path = "source"
    order      = "ASCENDING"
  }
  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAt"
    order      = "DESCENDING"
  }
  fields {
    field_path = "latencyMs"
    order      = "ASCENDING"
  }
}
