# infra/scripts/overlay-env.sh turns `kustomize_env` (plus the repository's
# image URI, read from the Artifact Registry API) into
# infra/k8s/overlays/<environment>/terraform.env, which the overlay consumes.

output "kustomize_env" {
  description = "Values the kustomize overlay takes from this environment (keys of infra/k8s/overlays/<env>/terraform.env)."
  value = {
    STEWARDD_GSA       = google_service_account.stewardd.email
    TRAINING_GSA       = google_service_account.training.email
    ARTIFACT_ROOT      = "gs://${google_storage_bucket.artifacts.name}/artifacts"
    DATABASE_CIDR      = var.private_services_cidr
    GATEWAY_PROXY_CIDR = var.proxy_only_cidr
  }
}

output "cluster_name" {
  description = "GKE cluster name (gcloud container clusters get-credentials <name> --region <region>)."
  value       = google_container_cluster.steward.name
}

output "region" {
  description = "Region of the cluster and the other regional resources."
  value       = var.region
}

output "database_instance" {
  description = "Cloud SQL instance connection name (project:region:instance), for backups and restores."
  value       = google_sql_database_instance.steward.connection_name
}

output "database_private_ip" {
  description = "Private IP of the Cloud SQL instance."
  value       = google_sql_database_instance.steward.private_ip_address
}

output "database_url_secret" {
  description = "Secret Manager secret holding STEWARD_DATABASE_URL; copy it into the Kubernetes Secret steward-database."
  value       = google_secret_manager_secret.database_url.secret_id
}

output "artifacts_bucket" {
  description = "GCS bucket for artifacts."
  value       = google_storage_bucket.artifacts.name
}

output "gpu_node_selector" {
  description = "Node labels of the GPU pool, as the training Job template's nodeSelector uses them."
  value       = local.gpu_node_labels
}

output "gpu_taint" {
  description = "Taint of the GPU pool, which the training Job template tolerates."
  value       = local.gpu_taint
}

output "environment" {
  description = "Environment name; infra/scripts/overlay-env.sh refuses to write another overlay's values."
  value       = var.environment
}

output "kubernetes_namespace" {
  description = "Namespace the Workload Identity bindings name; must equal the overlay's namespace."
  value       = var.kubernetes_namespace
}

output "artifact_registry_repository" {
  description = "Artifact Registry repository id (projects/<p>/locations/<l>/repositories/steward); its registryUri prefixes the image names."
  value       = google_artifact_registry_repository.images.id
}
