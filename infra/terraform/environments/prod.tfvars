# terraform plan -var-file=environments/prod.tfvars
project_id                 = "example-steward-prod"
environment                = "prod"
region                     = "europe-west4"
gpu_zones                  = ["europe-west4-a", "europe-west4-b", "europe-west4-c"]
gpu_max_nodes              = 4
gpu_spot                   = false
cpu_min_nodes_per_zone     = 1
cpu_max_nodes_per_zone     = 4
database_tier              = "db-custom-4-15360"
database_high_availability = true
database_backups_retained  = 30
deletion_protection        = true
master_authorized_networks = [
  { name = "operators", cidr = "192.0.2.0/24" },
]
