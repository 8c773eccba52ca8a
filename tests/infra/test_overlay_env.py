"""infra/scripts/overlay-env.sh against stand-ins for terraform and gcloud,
and repository hygiene for everything under infra/."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from infra_support import INFRA, K8S_DIR, ROOT, env_file, run

SCRIPT = INFRA / "scripts" / "overlay-env.sh"
REGISTRY = "registry.invalid/proj/steward"


def _stub(path, body):
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def stubs(tmp_path):
    def make(environment="prod", namespace="steward"):
        outputs = {
            "environment": {"value": environment},
            "kubernetes_namespace": {"value": namespace},
            "artifact_registry_repository": {"value": "projects/proj/locations/europe-west4/repositories/steward"},
            "kustomize_env": {"value": {
                "STEWARDD_GSA": "steward-prod-stewardd@proj.iam.gserviceaccount.com",
                "TRAINING_GSA": "steward-prod-training@proj.iam.gserviceaccount.com",
                "ARTIFACT_ROOT": "gs://proj-steward-prod-artifacts/artifacts",
                "DATABASE_CIDR": "10.50.0.0/20",
                "GATEWAY_PROXY_CIDR": "10.60.0.0/23",
            }},
        }
        (tmp_path / "outputs.json").write_text(json.dumps(outputs))
        _stub(tmp_path / "terraform", f'[ "$2" = output ] && [ "$3" = -json ] || exit 3\ncat {tmp_path}/outputs.json\n')
        _stub(tmp_path / "gcloud", f'[ "$4" = projects/proj/locations/europe-west4/repositories/steward ] || exit 4\necho {REGISTRY}\n')
        return {**os.environ, "TERRAFORM": str(tmp_path / "terraform"), "GCLOUD": str(tmp_path / "gcloud")}
    return make


def test_writes_every_key_the_overlay_reads(stubs, tmp_path):
    out = tmp_path / "terraform.env"
    proc = run([SCRIPT, "prod", out], env=stubs())
    assert proc.returncode == 0, proc.stderr
    written = env_file(out)
    assert set(written) == set(env_file(K8S_DIR / "overlays/prod/terraform.env"))
    assert written["STEWARDD_IMAGE"] == f"{REGISTRY}/stewardd"
    assert written["SERVE_IMAGE"] == f"{REGISTRY}/steward-serve"
    assert written["TRAINING_IMAGE"] == f"{REGISTRY}/steward-training"
    assert written["DATABASE_CIDR"] == "10.50.0.0/20"


def test_refuses_another_environments_state(stubs, tmp_path):
    out = tmp_path / "terraform.env"
    proc = run([SCRIPT, "dev", out], env=stubs(environment="prod"))
    assert proc.returncode != 0 and "not 'dev'" in proc.stderr and not out.exists()


def test_refuses_a_namespace_mismatch(stubs, tmp_path):
    proc = run([SCRIPT, "prod", tmp_path / "x.env"], env=stubs(namespace="other"))
    assert proc.returncode != 0 and "namespace" in proc.stderr


def test_unknown_overlay(stubs, tmp_path):
    proc = run([SCRIPT, "staging", tmp_path / "x.env"], env=stubs())
    assert proc.returncode != 0 and "no overlay" in proc.stderr


# Registry host names are not written into the repository: image addresses
# come from the Artifact Registry API, packages from the ordinary clients.
REGISTRY_HOSTS = [r"docker\.io", r"gcr\.io", r"pkg\.dev", r"ghcr\.io", r"quay\.io", r"nvcr\.io",
                  r"pypi\.org", r"pythonhosted\.org", r"debian\.org", r"ubuntu\.com"]


def test_no_registry_host_names():
    pattern = re.compile("|".join(REGISTRY_HOSTS))
    for path in list(INFRA.rglob("*")) + list((ROOT / "tests/infra").rglob("*")):
        if path.is_file() and not {"__pycache__", ".terraform"} & set(path.parts):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                assert not pattern.search(line), f"{path}:{number}: registry host name: {line.strip()}"
