# Inputs. Every variable has a type, a description and, where a wrong value
# would only fail minutes into an apply, a validation that fails at plan time.

variable "project_id" {
  type        = string
  description = "Google Cloud project that holds every Steward resource."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the regional GKE cluster, Cloud SQL, the artifacts bucket and Artifact Registry."
  default     = "europe-west4"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west4 (not a zone)."
  }
}

variable "environment" {
  type        = string
  description = "Environment name (dev or prod); prefixes resource names and sets the labels."

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod, matching an overlay under infra/k8s/overlays."
  }
}

variable "kubernetes_namespace" {
  type        = string
  description = "Namespace the kustomize overlay deploys into; the Workload Identity bindings name it."
  default     = "steward"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.kubernetes_namespace))
    error_message = "kubernetes_namespace must be a DNS-1123 label."
  }
}

# --- network -----------------------------------------------------------------

variable "nodes_cidr" {
  type        = string
  description = "Primary range of the nodes' subnetwork."
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.nodes_cidr, 0))
    error_message = "nodes_cidr must be a CIDR block."
  }
}

variable "pods_cidr" {
  type        = string
  description = "Secondary range for Pod IPs (VPC-native cluster)."
  default     = "10.16.0.0/14"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be a CIDR block."
  }
}

variable "services_cidr" {
  type        = string
  description = "Secondary range for Service cluster IPs."
  default     = "10.20.0.0/20"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be a CIDR block."
  }
}

variable "proxy_only_cidr" {
  type        = string
  description = "Proxy-only subnetwork used by the regional internal Application Load Balancer behind the Gateway; serving's NetworkPolicy admits it."
  default     = "10.30.0.0/23"

  validation {
    condition     = can(cidrhost(var.proxy_only_cidr, 0)) && can(regex("/([0-9]|1[0-9]|2[0-6])$", var.proxy_only_cidr))
    error_message = "proxy_only_cidr must be a CIDR block of /26 or larger."
  }
}

variable "private_services_cidr" {
  type        = string
  description = "Range reserved for private services access (Cloud SQL's private IP comes from it); NetworkPolicies admit egress to it on 5432."
  default     = "10.40.0.0/20"

  validation {
    condition     = can(cidrhost(var.private_services_cidr, 0)) && can(regex("/([0-9]|1[0-9]|2[0-4])$", var.private_services_cidr))
    error_message = "private_services_cidr must be a CIDR block of /24 or larger."
  }
}

variable "master_cidr" {
  type        = string
  description = "/28 range for the GKE control plane's private endpoint."
  default     = "172.16.0.0/28"

  validation {
    condition     = can(cidrhost(var.master_cidr, 0)) && endswith(var.master_cidr, "/28")
    error_message = "master_cidr must be a /28 CIDR block."
  }
}

variable "master_authorized_networks" {
  type = list(object({
    name = string
    cidr = string
  }))
  description = "Networks allowed to reach the control plane (operators' VPN, CI). The nodes' subnetwork is always allowed."
  default     = []

  validation {
    condition     = alltrue([for n in var.master_authorized_networks : can(cidrhost(n.cidr, 0)) && n.cidr != "0.0.0.0/0"])
    error_message = "master_authorized_networks entries need a valid CIDR, and 0.0.0.0/0 is not allowed."
  }
}

# --- GKE ---------------------------------------------------------------------

variable "release_channel" {
  type        = string
  description = "GKE release channel."
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "cpu_machine_type" {
  type        = string
  description = "Machine type of the CPU pool (stewardd, steward-serve)."
  default     = "e2-standard-4"
}

variable "cpu_min_nodes_per_zone" {
  type        = number
  description = "Minimum CPU nodes per zone (the cluster is regional: three zones)."
  default     = 1

  validation {
    condition     = var.cpu_min_nodes_per_zone >= 1
    error_message = "cpu_min_nodes_per_zone must be at least 1: stewardd and serving always run."
  }
}

variable "cpu_max_nodes_per_zone" {
  type        = number
  description = "Maximum CPU nodes per zone."
  default     = 3

  validation {
    condition     = var.cpu_max_nodes_per_zone >= 1 && var.cpu_max_nodes_per_zone <= 50
    error_message = "cpu_max_nodes_per_zone must be between 1 and 50."
  }
}

variable "gpu_machine_type" {
  type        = string
  description = "Machine type of the GPU pool; must accept the accelerator (g2-* for L4, n1-* for T4)."
  default     = "g2-standard-8"
}

variable "gpu_accelerator_type" {
  type        = string
  description = "Accelerator attached to each GPU node."
  default     = "nvidia-l4"

  validation {
    condition     = startswith(var.gpu_accelerator_type, "nvidia-")
    error_message = "gpu_accelerator_type must be an NVIDIA accelerator type such as nvidia-l4 or nvidia-tesla-t4."
  }
}

variable "gpus_per_node" {
  type        = number
  description = "Accelerators per GPU node (a training Job asks for one)."
  default     = 1

  validation {
    condition     = contains([1, 2, 4, 8], var.gpus_per_node)
    error_message = "gpus_per_node must be 1, 2, 4 or 8."
  }
}

variable "gpu_zones" {
  type        = list(string)
  description = "Zones of the GPU pool: only zones of the region that offer gpu_accelerator_type."
  default     = ["europe-west4-a", "europe-west4-b", "europe-west4-c"]

  validation {
    condition     = length(var.gpu_zones) > 0 && alltrue([for z in var.gpu_zones : can(regex("^[a-z]+-[a-z]+[0-9]-[a-z]$", z))])
    error_message = "gpu_zones must list at least one zone such as europe-west4-a."
  }
}

variable "gpu_max_nodes" {
  type        = number
  description = "Upper bound on GPU nodes across all zones; the pool scales from 0 when no training Job runs."
  default     = 2

  validation {
    condition     = var.gpu_max_nodes >= 1 && var.gpu_max_nodes <= 32
    error_message = "gpu_max_nodes must be between 1 and 32."
  }
}

variable "gpu_spot" {
  type        = bool
  description = "Run GPU nodes as Spot VMs. Training Jobs retry (backoffLimit) when a node is reclaimed."
  default     = false
}

# --- Cloud SQL ---------------------------------------------------------------

variable "database_version" {
  type        = string
  description = "Cloud SQL PostgreSQL major version."
  default     = "POSTGRES_17"

  validation {
    condition     = can(regex("^POSTGRES_1[4-8]$", var.database_version))
    error_message = "database_version must be POSTGRES_14 to POSTGRES_18."
  }
}

variable "database_tier" {
  type        = string
  description = "Cloud SQL machine tier."
  default     = "db-custom-2-7680"

  validation {
    condition     = can(regex("^db-(custom-[0-9]+-[0-9]+|perf-optimized-N-[0-9]+|g1-small|f1-micro)$", var.database_tier))
    error_message = "database_tier must be a Cloud SQL tier such as db-custom-2-7680."
  }
}

variable "database_high_availability" {
  type        = bool
  description = "REGIONAL (standby in another zone) instead of ZONAL availability."
  default     = true
}

variable "database_disk_gb" {
  type        = number
  description = "Initial disk size in GB (grows automatically)."
  default     = 50

  validation {
    condition     = var.database_disk_gb >= 10
    error_message = "database_disk_gb must be at least 10."
  }
}

variable "database_backup_start_time" {
  type        = string
  description = "Daily backup window start (HH:MM, UTC)."
  default     = "02:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.database_backup_start_time))
    error_message = "database_backup_start_time must be HH:MM in 24-hour UTC."
  }
}

variable "database_backups_retained" {
  type        = number
  description = "Number of daily backups kept."
  default     = 14

  validation {
    condition     = var.database_backups_retained >= 7 && var.database_backups_retained <= 365
    error_message = "database_backups_retained must be between 7 and 365."
  }
}

# --- storage -----------------------------------------------------------------

variable "artifacts_noncurrent_days" {
  type        = number
  description = "Days a replaced or deleted artifact object version is kept before deletion."
  default     = 30

  validation {
    condition     = var.artifacts_noncurrent_days >= 1
    error_message = "artifacts_noncurrent_days must be at least 1."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the cluster and the database from terraform destroy; turn off only to tear an environment down."
  default     = true
}
