# The topology's numbers and names, mirrored from shared/src/topology.ts: infra/topology.test.ts fails if the
# two disagree, or if a resource below stops using these.
locals {
  topic                               = "webhook-events"
  dead_letter_topic                   = "webhook-events-dlq"
  dead_letter_subscription            = "webhook-events-dlq-sub"
  push_subscription                   = "webhook-events-processor"
  ack_deadline_seconds                = 60
  max_delivery_attempts               = 10
  minimum_backoff_seconds             = 10
  maximum_backoff_seconds             = 600
  retention_seconds                   = 604800
  dead_letter_retention_seconds       = 604800
  dead_letter_topic_retention_seconds = 2678400
  message_ordering                    = true

  ledger_collection = "hookpipe-deliveries"
  # One document per forced seek replay (ops/src/force-windows.ts); each deletes itself after `expireAt`.
  force_windows_collection = "hookpipe-force-windows"
  # The audience the push subscription's OIDC tokens carry and the processor requires.
  push_audience = "https://hookpipe-processor/pubsub/push"

  ingress_service   = "hookpipe-ingress"
  processor_service = "hookpipe-processor"
  repository        = "hookpipe"
  image_base        = "${var.region}-docker.pkg.dev/${var.project_id}/${local.repository}"
  # No build pushes this tag: without var.image_tag a service to be created fails its postcondition (run.tf).
  unset_image_tag = "image-tag-not-set"
  ingress_image   = "${local.image_base}/hookpipe-ingress:${coalesce(var.image_tag, local.unset_image_tag)}"
  processor_image = "${local.image_base}/hookpipe-processor:${coalesce(var.image_tag, local.unset_image_tag)}"
}
