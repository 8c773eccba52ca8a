# One VPC: the nodes' subnetwork (with Pod and Service secondary ranges), a
# proxy-only subnetwork for the Gateway's regional internal load balancer, and
# a private services range peered for Cloud SQL's private IP. No Cloud NAT:
# private nodes reach Artifact Registry, GCS and the Google APIs through
# Private Google Access, and nothing else is needed at run time.

resource "google_compute_network" "steward" {
  name                    = local.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  depends_on = [google_project_service.apis]
}

resource "google_compute_subnetwork" "nodes" {
  name                     = "${local.name}-nodes"
  region                   = var.region
  network                  = google_compute_network.steward.id
  ip_cidr_range            = var.nodes_cidr
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.pods_cidr
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.services_cidr
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_subnetwork" "proxy_only" {
  name          = "${local.name}-proxy-only"
  region        = var.region
  network       = google_compute_network.steward.id
  ip_cidr_range = var.proxy_only_cidr
  purpose       = "REGIONAL_MANAGED_PROXY"
  role          = "ACTIVE"
}

resource "google_compute_global_address" "private_services" {
  name          = "${local.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  network       = google_compute_network.steward.id
  address       = cidrhost(var.private_services_cidr, 0)
  prefix_length = tonumber(split("/", var.private_services_cidr)[1])
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.steward.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

# Explicit, logged default: nothing reaches the nodes unless a higher-priority
# rule allows it (GKE adds its own rules for the control plane and the
# Gateway's health checks at priority 1000).
resource "google_compute_firewall" "deny_all_ingress" {
  name      = "${local.name}-deny-all-ingress"
  network   = google_compute_network.steward.id
  direction = "INGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
