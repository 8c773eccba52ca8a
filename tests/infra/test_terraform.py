"""infra/terraform: formatting, parsing, the properties the design depends on,
and checkov. `terraform validate` needs providers, which cannot be downloaded
here, so the structure is checked from python-hcl2's parse instead."""

from __future__ import annotations

import re

import pytest

from infra_support import OVERLAYS, K8S_DIR, TERRAFORM_DIR, dump_hcl, env_file, run

IMAGE_KEYS = {"STEWARDD_IMAGE", "SERVE_IMAGE", "TRAINING_IMAGE"}


def test_terraform_fmt(terraform):
    proc = run([terraform, "fmt", "-check", "-recursive", "-diff", TERRAFORM_DIR])
    assert proc.returncode == 0, f"terraform fmt -check failed (run terraform fmt -recursive infra/terraform):\n{proc.stdout}"


def test_every_tf_file_parses(tf, terraform_files):
    assert not tf.errors, "python-hcl2 could not parse:\n" + "\n".join(f"{p}: {e}" for p, e in tf.errors.items())
    assert len(tf.files) == len(terraform_files)


def test_parser_reports_broken_files(hcl2_python, tmp_path):
    # checkov exits 0 on a file it cannot parse; make sure this check does not.
    broken = tmp_path / "broken.tf"
    broken.write_text('resource "google_storage_bucket" "b" {\n  name = \n}\n')
    assert broken.as_posix() in dump_hcl(hcl2_python, [broken])["errors"]


def _true(value) -> bool:
    return value is True or value == "true"


def test_cluster_is_regional_private_with_workload_identity(tf):
    cluster = tf.resource("google_container_cluster", "steward")
    assert cluster["location"] == "${var.region}", "the cluster must be regional (location = region, not a zone)"
    private = cluster["private_cluster_config"][0]
    assert _true(private["enable_private_nodes"])
    assert "svc.id.goog" in tf.local("workload_pool")
    assert cluster["workload_identity_config"][0]["workload_pool"] == "${local.workload_pool}"
    assert _true(cluster["remove_default_node_pool"])
    assert cluster["datapath_provider"] == "ADVANCED_DATAPATH", "Dataplane V2 enforces the NetworkPolicies"
    assert cluster["gateway_api_config"][0]["channel"] == "CHANNEL_STANDARD", "the HTTPRoute needs the Gateway API"
    assert cluster["database_encryption"][0]["state"] == "ENCRYPTED"
    authorized = cluster["master_authorized_networks_config"][0]["cidr_blocks"]
    assert authorized, "the control plane must restrict who reaches it"


def test_node_pools(tf):
    pools = tf.resources("google_container_node_pool")
    assert set(pools) == {"cpu", "gpu"}
    for name, pool in pools.items():
        node = pool["node_config"][0]
        assert node["workload_metadata_config"][0]["mode"] == "GKE_METADATA", f"{name}: Workload Identity needs GKE_METADATA"
        assert node["service_account"] == "${google_service_account.nodes.email}", f"{name}: nodes use the dedicated SA"
        assert _true(node["shielded_instance_config"][0]["enable_secure_boot"])
        assert _true(pool["management"][0]["auto_repair"]) and _true(pool["management"][0]["auto_upgrade"])

    gpu = pools["gpu"]
    autoscaling = gpu["autoscaling"][0]
    minimum = autoscaling.get("total_min_node_count", autoscaling.get("min_node_count"))
    assert minimum == 0, "the GPU pool must scale from zero"
    assert "total_max_node_count" in autoscaling or "max_node_count" in autoscaling
    assert gpu.get("initial_node_count") == 0
    node = gpu["node_config"][0]
    assert node["guest_accelerator"], "GPU nodes need an accelerator"
    assert node["labels"] == "${local.gpu_node_labels}"
    taint = node["taint"][0]
    assert taint == {"key": "${local.gpu_taint.key}", "value": "${local.gpu_taint.value}", "effect": "${local.gpu_taint.effect}"}
    assert tf.local("gpu_taint")["effect"] == "NO_SCHEDULE"
    assert tf.local("gpu_node_labels"), "the GPU pool needs a label the training Job selects"
    assert "taint" not in pools["cpu"]["node_config"][0], "the CPU pool must accept ordinary Pods"


def test_cloud_sql_private_ip_backups_and_tls(tf):
    instance = tf.resource("google_sql_database_instance", "steward")
    settings = instance["settings"][0]
    ip = settings["ip_configuration"][0]
    assert ip["ipv4_enabled"] is False, "no public IP"
    assert ip["private_network"] == "${google_compute_network.steward.id}"
    assert ip["ssl_mode"] in {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}, "TLS must be required"
    backup = settings["backup_configuration"][0]
    assert _true(backup["enabled"]) and _true(backup["point_in_time_recovery_enabled"])
    assert backup["backup_retention_settings"][0]["retained_backups"]
    assert instance["deletion_protection"] == "${var.deletion_protection}"
    assert "${google_service_networking_connection.private_services}" in instance["depends_on"]


def test_artifacts_bucket(tf):
    bucket = tf.resource("google_storage_bucket", "artifacts")
    assert _true(bucket["uniform_bucket_level_access"])
    assert _true(bucket["versioning"][0]["enabled"])
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket.get("force_destroy") is False


def test_artifact_registry(tf):
    repo = tf.resource("google_artifact_registry_repository", "images")
    assert repo["format"] == "DOCKER"
    assert _true(repo["docker_config"][0]["immutable_tags"]), "overlays pin images by tag; tags must not move"


def test_workload_identity_bindings_match_the_manifests(tf, rendered):
    bindings = {
        name: body
        for name, body in tf.resources("google_service_account_iam_member").items()
        if body["role"] == "roles/iam.workloadIdentityUser"
    }
    members = {body["member"] for body in bindings.values()}
    assert members == {
        "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${local.ksa_stewardd}]",
        "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/${local.ksa_training}]",
    }
    namespace = tf.blocks("variable")["kubernetes_namespace"]["default"]
    for r in rendered.values():
        for ksa in (tf.local("ksa_stewardd"), tf.local("ksa_training")):
            sa = r.get("ServiceAccount", ksa)
            assert sa["metadata"]["namespace"] == namespace
            assert sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"].endswith(".iam.gserviceaccount.com")


def test_least_privilege_iam(tf):
    primitive = {"roles/owner", "roles/editor", "roles/viewer"}
    for rtype, name, body in tf.all_resources():
        role = body.get("role")
        if role:
            assert role not in primitive, f"{rtype}.{name} grants a primitive role {role}"
        if rtype == "google_project_iam_member":
            assert not str(role).startswith("roles/storage."), f"{rtype}.{name}: grant storage on the bucket, not the project"
    # steward-serve has no Google identity at all.
    accounts = tf.resources("google_service_account")
    assert set(accounts) == {"nodes", "stewardd", "training"}


def test_variables_have_type_description_and_validation(tf):
    variables = tf.blocks("variable")
    assert variables
    for name, body in variables.items():
        assert body.get("type"), f"variable {name} has no type"
        assert str(body.get("description", "")).strip(), f"variable {name} has no description"
    must_validate = {
        "project_id", "region", "environment", "kubernetes_namespace", "nodes_cidr", "pods_cidr",
        "services_cidr", "proxy_only_cidr", "private_services_cidr", "master_cidr",
        "master_authorized_networks", "gpu_zones", "gpu_max_nodes", "gpu_accelerator_type",
        "database_version", "database_tier", "database_backup_start_time", "database_backups_retained",
    }
    missing = sorted(v for v in must_validate if not variables.get(v, {}).get("validation"))
    assert not missing, f"variables without validation: {missing}"


def _regex_validations(tf) -> dict:
    """variable -> the regex() patterns its validations apply to it. Terraform's
    regex() is RE2; these simple patterns mean the same in Python."""
    found = {}
    for name, body in tf.blocks("variable").items():
        for validation in body.get("validation", []):
            pattern = r'regex\("((?:[^"\\]|\\.)*)",\s*var\.' + name + r"\)"
            found.setdefault(name, []).extend(p.replace("\\\\", "\\") for p in re.findall(pattern, validation["condition"]))
    return found


def test_validation_regexes_accept_the_defaults(tf):
    variables = tf.blocks("variable")
    checked = 0
    for name, patterns in _regex_validations(tf).items():
        default = variables[name].get("default")
        for pattern in patterns if isinstance(default, str) else []:
            assert re.search(pattern, default), f"{name}: default {default!r} fails its own validation {pattern}"
            checked += 1
    assert checked >= 5, "the regex extraction found too few validations to be checking anything"


def test_outputs_feed_the_overlays(tf):
    outputs = tf.blocks("output")
    for name, body in outputs.items():
        assert str(body.get("description", "")).strip(), f"output {name} has no description"
    consumed = set(outputs["kustomize_env"]["value"]) | IMAGE_KEYS
    for overlay in OVERLAYS:
        keys = set(env_file(K8S_DIR / "overlays" / overlay / "terraform.env"))
        assert keys == consumed, f"overlays/{overlay}/terraform.env keys differ from kustomize_env + images: {keys ^ consumed}"
    for needed in ("environment", "kubernetes_namespace", "artifact_registry_repository"):
        assert needed in outputs, f"infra/scripts/overlay-env.sh reads output {needed}"


def test_example_tfvars_satisfy_required_variables(tf, hcl2_python):
    variables = tf.blocks("variable")
    required = {name for name, body in variables.items() if "default" not in body}
    tfvars = sorted((TERRAFORM_DIR / "environments").glob("*.tfvars"))
    assert {p.stem for p in tfvars} == set(OVERLAYS)
    dumped = dump_hcl(hcl2_python, tfvars)
    validations = _regex_validations(tf)
    assert not dumped["errors"], dumped["errors"]
    for path, values in dumped["files"].items():
        assert required <= set(values), f"{path} misses required variables {required - set(values)}"
        assert set(values) <= set(variables), f"{path} sets unknown variables {set(values) - set(variables)}"
        for name, patterns in validations.items():
            if isinstance(values.get(name), str):
                for pattern in patterns:
                    assert re.search(pattern, values[name]), f"{path}: {name}={values[name]!r} fails validation {pattern}"


def _skips_are_justified(report):
    for check in report["results"].get("skipped_checks", []):
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= 30, f"{check['check_id']} on {check['resource']} is skipped without a real justification: {reason!r}"


def test_checkov_terraform(checkov_terraform, tf):
    (report,) = [r for r in checkov_terraform if r["check_type"] == "terraform"]
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert not failed, "checkov failures:\n" + "\n".join(failed)
    assert summary["parsing_errors"] == 0
    # checkov silently ignores files it cannot read: make sure it saw every resource.
    assert summary["resource_count"] >= sum(1 for _ in tf.all_resources())
    _skips_are_justified(report)


def test_checkov_skip_comments_carry_reasons():
    for path in TERRAFORM_DIR.rglob("*.tf"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "checkov:skip" in line:
                match = re.search(r"checkov:skip=(CKV2?_[A-Z]+_\d+):(.+)", line)
                assert match and len(match.group(2).strip()) >= 30, f"{path}:{number}: skip without a reason"
