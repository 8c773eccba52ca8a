# Fixtures live in infra_support.py; importing them here registers them.
from infra_support import (  # noqa: F401
    checkov, checkov_manifests, checkov_terraform, hcl2_python, job_template, kubectl,
    kubernetes_validate, rendered, terraform, terraform_files, tf,
)
