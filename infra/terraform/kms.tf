# Application-layer encryption of Kubernetes Secrets (the database URL and API
# tokens) with a key this project controls.

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "kms" {
  project            = var.project_id
  service            = "cloudkms.googleapis.com"
  disable_on_destroy = false
}

resource "google_kms_key_ring" "steward" {
  name     = local.name
  location = var.region

  depends_on = [google_project_service.kms]
}

resource "google_kms_crypto_key" "gke_secrets" {
  name            = "gke-secrets"
  key_ring        = google_kms_key_ring.steward.id
  rotation_period = "7776000s" # 90 days
  labels          = local.labels

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "gke_secrets" {
  crypto_key_id = google_kms_crypto_key.gke_secrets.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.this.number}@container-engine-robot.iam.gserviceaccount.com"

  # The GKE service agent exists once the Kubernetes Engine API is enabled.
  depends_on = [google_project_service.apis]
}
