# terraform plan -var-file=environments/dev.tfvars
project_id                 = "example-steward-dev"
environment                = "dev"
region                     = "europe-west4"
gpu_zones                  = ["europe-west4-a", "europe-west4-b", "europe-west4-c"]
gpu_max_nodes              = 1
gpu_spot                   = true
cpu_min_nodes_per_zone     = 1
cpu_max_nodes_per_zone     = 2
database_tier              = "db-custom-1-3840"
database_high_availability = false
database_backups_retained  = 7
deletion_protection        = false
master_authorized_networks = [
  { name = "operators", cidr = "192.0.2.0/24" },
]
