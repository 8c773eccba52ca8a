# A regional, VPC-native GKE cluster with private nodes, Workload Identity,
# Dataplane V2 (which enforces the NetworkPolicies in infra/k8s) and the
# Gateway API (the HTTPRoute whose weights drive canary rollouts).

resource "google_container_cluster" "steward" {
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Google Workspace domain with a gke-security-groups group; access is granted through IAM roles on the project instead.
  name     = local.name
  location = var.region

  network         = google_compute_network.steward.id
  subnetwork      = google_compute_subnetwork.nodes.id
  networking_mode = "VPC_NATIVE"

  # Node pools are managed below; the default pool is created and dropped.
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = var.deletion_protection

  release_channel {
    channel = var.release_channel
  }

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_cidr
  }

  master_authorized_networks_config {
    cidr_blocks {
      display_name = "nodes"
      cidr_block   = var.nodes_cidr
    }

    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        display_name = cidr_blocks.value.name
        cidr_block   = cidr_blocks.value.cidr
      }
    }
  }

  workload_identity_config {
    workload_pool = local.workload_pool
  }

  # Dataplane V2 enforces NetworkPolicy itself; the older Calico add-on must
  # stay off with it.
  datapath_provider = "ADVANCED_DATAPATH"
  network_policy {
    enabled = false
  }

  gateway_api_config {
    channel = "CHANNEL_STANDARD"
  }

  database_encryption {
    state    = "ENCRYPTED"
    key_name = google_kms_crypto_key.gke_secrets.id
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  enable_legacy_abac          = false

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }

  addons_config {
    http_load_balancing {
      disabled = false
    }
    horizontal_pod_autoscaling {
      disabled = false
    }
  }

  maintenance_policy {
    recurring_window {
      start_time = "2024-01-06T03:00:00Z"
      end_time   = "2024-01-06T09:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
    }
  }

  # The default pool exists only while the cluster is created; these settings
  # keep even that short-lived pool hardened.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"
    metadata = {
      disable-legacy-endpoints = "true"
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  resource_labels = local.labels

  depends_on = [
    google_project_service.apis,
    google_kms_crypto_key_iam_member.gke_secrets,
  ]

  lifecycle {
    ignore_changes = [node_config]
  }
}

# CPU pool: stewardd and steward-serve.
resource "google_container_node_pool" "cpu" {
  name     = "cpu"
  cluster  = google_container_cluster.steward.id
  location = var.region

  autoscaling {
    min_node_count = var.cpu_min_nodes_per_zone
    max_node_count = var.cpu_max_nodes_per_zone
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.cpu_machine_type
    disk_type       = "pd-balanced"
    disk_size_gb    = 100
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = local.cpu_node_labels
    resource_labels = local.labels

    metadata = {
      disable-legacy-endpoints = "true"
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}

# GPU pool: training Jobs only. It scales from zero, so no GPU is paid for
# while nothing trains; the taint keeps every other Pod off it, and the label
# is what the training Job template's nodeSelector names.
resource "google_container_node_pool" "gpu" {
  name           = "gpu"
  cluster        = google_container_cluster.steward.id
  location       = var.region
  node_locations = var.gpu_zones

  initial_node_count = 0

  autoscaling {
    total_min_node_count = 0
    total_max_node_count = var.gpu_max_nodes
    location_policy      = "ANY"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.gpu_machine_type
    spot            = var.gpu_spot
    disk_type       = "pd-ssd"
    disk_size_gb    = 200
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = local.gpu_node_labels
    resource_labels = local.labels

    guest_accelerator {
      type  = var.gpu_accelerator_type
      count = var.gpus_per_node
      gpu_driver_installation_config {
        gpu_driver_version = "DEFAULT"
      }
    }

    taint {
      key    = local.gpu_taint.key
      value  = local.gpu_taint.value
      effect = local.gpu_taint.effect
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}
