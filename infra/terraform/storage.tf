# Artifacts (models, datasets, logs), content-addressed by sha256 under
# gs://<bucket>/artifacts. Uniform access, no public access, versioned so an
# overwrite or delete can be undone for artifacts_noncurrent_days.

resource "google_storage_bucket" "artifacts" {
  #checkov:skip=CKV_GCP_62:Access is recorded by Cloud Audit Logs (Data Access logs for Cloud Storage), which is the recommended replacement for bucket usage logs and needs no second bucket.
  name          = "${var.project_id}-${local.name}-artifacts"
  location      = var.region
  storage_class = "STANDARD"
  force_destroy = false
  labels        = local.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.artifacts_noncurrent_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}
