# Service accounts, least privilege:
#   nodes     -> logs, metrics, and pulling images from this repository only
#   stewardd  -> read and create objects in the artifacts bucket (no delete:
#                artifacts are content-addressed and the bucket is versioned)
#   training  -> read objects in the artifacts bucket (datasets, warm starts);
#                it writes artifacts through stewardd's MLflow artifact API
# steward-serve gets no Google identity at all: it loads models via stewardd.

resource "google_service_account" "nodes" {
  account_id   = "${local.name}-nodes"
  display_name = "Steward ${var.environment} GKE nodes"

  depends_on = [google_project_service.apis]
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_artifact_registry_repository_iam_member" "nodes_pull" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_service_account" "stewardd" {
  account_id   = "${local.name}-stewardd"
  display_name = "Steward ${var.environment} control plane (stewardd)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "training" {
  account_id   = "${local.name}-training"
  display_name = "Steward ${var.environment} training Jobs"

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_iam_member" "stewardd_read" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.stewardd.email}"
}

resource "google_storage_bucket_iam_member" "stewardd_create" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.stewardd.email}"
}

resource "google_storage_bucket_iam_member" "training_read" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.training.email}"
}

# Workload Identity: the Kubernetes ServiceAccount <namespace>/<name> may act
# as the Google service account. The pool exists once the cluster does.
resource "google_service_account_iam_member" "stewardd_workload_identity" {
  service_account_id = google_service_account.stewardd.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${local.ksa_stewardd}]"

  depends_on = [google_container_cluster.steward]
}

resource "google_service_account_iam_member" "training_workload_identity" {
  service_account_id = google_service_account.training.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${local.ksa_training}]"

  depends_on = [google_container_cluster.steward]
}
