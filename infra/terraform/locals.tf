locals {
  name = "steward-${var.environment}"

  labels = {
    app         = "steward"
    environment = var.environment
    managed-by  = "terraform"
  }

  workload_pool = "${var.project_id}.svc.id.goog"

  # Kubernetes ServiceAccounts (infra/k8s/base) that act as Google service
  # accounts through Workload Identity. steward-serve has none on purpose: it
  # reaches models through stewardd and needs no Google API.
  ksa_stewardd = "stewardd"
  ksa_training = "steward-training"

  # What the training Job template (infra/k8s/base/training/job-template.yaml)
  # selects and tolerates; tests/infra checks the two stay equal.
  gpu_node_labels = {
    "steward.dev/pool" = "gpu"
  }
  gpu_taint = {
    key    = "nvidia.com/gpu"
    value  = "present"
    effect = "NO_SCHEDULE"
  }
  cpu_node_labels = {
    "steward.dev/pool" = "cpu"
  }
}
