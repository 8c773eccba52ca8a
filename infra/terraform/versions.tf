# Provider pins. The state lives in a GCS bucket that exists before this
# configuration does (it holds the database password): pass it at init time,
#   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=steward/<env>"
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.20"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}
