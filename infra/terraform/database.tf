# Cloud SQL for PostgreSQL: the source of truth. Private IP only (no public
# address), TLS required on every connection, daily backups with point-in-time
# recovery.

resource "google_sql_database_instance" "steward" {
  #checkov:skip=CKV_GCP_6:TLS is required (ssl_mode ENCRYPTED_ONLY); the check passes only for client-certificate mTLS, and clients authenticate with a password from a Kubernetes Secret over private IP.
  #checkov:skip=CKV_GCP_79:The major version is a variable chosen to match what the test suite runs against; major upgrades are a deliberate maintenance step, and the check's idea of "latest" moves with each checkov release.
  #checkov:skip=CKV2_GCP_13:log_duration logs a line for every statement, including each prediction-log insert; Query Insights (insights_config) records latency instead.
  name                = "${local.name}-pg"
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.database_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.database_high_availability ? "REGIONAL" : "ZONAL"
    disk_type                   = "PD_SSD"
    disk_size                   = var.database_disk_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = local.labels

    ip_configuration {
      ipv4_enabled    = false
      private_network = google_compute_network.steward.id
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      start_time                     = var.database_backup_start_time
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = var.database_backups_retained
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = true
      record_client_address   = false
    }

    # Logging flags the CIS benchmark asks for. Statements are logged for DDL
    # only: parameters of data statements could carry prediction texts.
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
    database_flags {
      name  = "pgaudit.log"
      value = "ddl,role"
    }
  }

  depends_on = [google_service_networking_connection.private_services]
}

resource "google_sql_database" "steward" {
  name     = "steward"
  instance = google_sql_database_instance.steward.name
}

# The password lives in the state (keep the state bucket private) and in
# Secret Manager, from where an operator creates the Kubernetes Secret.
resource "random_password" "database" {
  length  = 40
  special = false
}

resource "google_sql_user" "steward" {
  name     = "steward"
  instance = google_sql_database_instance.steward.name
  password = random_password.database.result
}

resource "google_secret_manager_secret" "database_url" {
  secret_id = "${local.name}-database-url"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "database_url" {
  secret      = google_secret_manager_secret.database_url.id
  secret_data = "postgresql://${google_sql_user.steward.name}:${random_password.database.result}@${google_sql_database_instance.steward.private_ip_address}:5432/${google_sql_database.steward.name}?sslmode=require"
}
