# Images: stewardd, steward-serve, steward-training (infra/docker). Tags are
# immutable, so a tag in an overlay names exactly one image.

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:Images carry no data or secrets; Google-managed encryption at rest suffices, and a customer key would make every node's image pull depend on that key's availability.
  location      = var.region
  repository_id = "steward"
  format        = "DOCKER"
  description   = "Steward images (${var.environment})"
  labels        = local.labels

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 30
    }
  }

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "7d"
    }
  }

  depends_on = [google_project_service.apis]
}
