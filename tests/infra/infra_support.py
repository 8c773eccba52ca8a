"""Shared fixtures and helpers for the offline infrastructure checks
(conftest.py re-exports the fixtures; tests import helpers from here, under a
name no other test folder uses).

Every external tool is found by path (overridable by an environment variable)
and a missing one fails the tests that need it with a message saying how to
get it: nothing is skipped silently. Expensive results (rendered overlays,
parsed Terraform, checkov reports) are computed once per session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
TERRAFORM_DIR = INFRA / "terraform"
K8S_DIR = INFRA / "k8s"
DOCKER_DIR = INFRA / "docker"
OVERLAYS = ("dev", "prod")
JOB_TEMPLATE = K8S_DIR / "base" / "training" / "job-template.yaml"
CONTRACTS = ROOT / "docs" / "contracts.md"

SETUP_HINT = "run scripts/setup.sh"


def _tool(env: str, default: Path, hint: str) -> Path:
    path = Path(os.environ.get(env, str(default)))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path.name} not found at {path} (set {env} to override): {hint}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def terraform() -> Path:
    return _tool("STEWARD_TERRAFORM", Path("/usr/local/bin/terraform"), "terraform 1.11 is expected preinstalled")


@pytest.fixture(scope="session")
def kubectl() -> Path:
    return _tool("STEWARD_KUBECTL", Path("/usr/bin/kubectl"), "kubectl 1.32 (built-in kustomize) is expected preinstalled")


@pytest.fixture(scope="session")
def checkov() -> Path:
    return _tool("STEWARD_CHECKOV", ROOT / ".steward/venv-tools/bin/checkov", SETUP_HINT)


@pytest.fixture(scope="session")
def kubernetes_validate() -> Path:
    return _tool("STEWARD_KUBERNETES_VALIDATE", ROOT / ".steward/venv-tools/bin/kubernetes-validate", SETUP_HINT)


@pytest.fixture(scope="session")
def hcl2_python() -> Path:
    python = _tool(
        "STEWARD_HCL2_PYTHON",
        ROOT / ".steward/venv-hcl2/bin/python",
        f"{SETUP_HINT} (it installs tests/infra/requirements-hcl2.txt into .steward/venv-hcl2)",
    )
    probe = subprocess.run([python, "-c", "import hcl2, lark"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"{python} cannot import python-hcl2: {probe.stderr.strip()}", pytrace=False)
    return python


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)


# --- Terraform -----------------------------------------------------------------


def dump_hcl(python: Path, paths) -> dict:
    result = run([python, Path(__file__).with_name("hcl_dump.py"), *paths])
    assert result.returncode == 0, f"hcl_dump.py failed:\n{result.stderr}"
    return json.loads(result.stdout)


@dataclass
class TerraformConfig:
    files: dict  # path -> parsed tree
    errors: dict  # path -> parse error

    def blocks(self, kind: str):
        """Every top-level block of a kind ('variable', 'output', 'locals'...) merged."""
        merged = {}
        for tree in self.files.values():
            for block in tree.get(kind, []):
                merged.update(block)
        return merged

    def resources(self, rtype: str) -> dict:
        found = {}
        for tree in self.files.values():
            for block in tree.get("resource", []):
                found.update(block.get(rtype, {}))
        return found

    def resource(self, rtype: str, name: str) -> dict:
        resources = self.resources(rtype)
        assert name in resources, f"Terraform has no {rtype}.{name}"
        return resources[name]

    def all_resources(self):
        for tree in self.files.values():
            for block in tree.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        yield rtype, name, body

    def local(self, name: str):
        merged = {}
        for tree in self.files.values():
            for block in tree.get("locals", []):
                merged.update(block)
        assert name in merged, f"Terraform has no local.{name}"
        return merged[name]


@pytest.fixture(scope="session")
def terraform_files():
    files = sorted(TERRAFORM_DIR.rglob("*.tf"))
    assert files, f"no .tf files under {TERRAFORM_DIR}"
    return files


@pytest.fixture(scope="session")
def tf(hcl2_python, terraform_files) -> TerraformConfig:
    dumped = dump_hcl(hcl2_python, terraform_files)
    return TerraformConfig(files=dumped["files"], errors=dumped["errors"])


# --- Kubernetes ------------------------------------------------------------------


@dataclass
class Rendered:
    overlay: str
    path: Path
    text: str
    docs: list

    def of_kind(self, kind: str) -> list:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        matches = [d for d in self.docs if d["kind"] == kind and d["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.overlay}: expected one {kind}/{name}, found {len(matches)}"
        return matches[0]


def load_yaml_docs(text: str) -> list:
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.fixture(scope="session")
def rendered(kubectl, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("rendered")
    result = {}
    for overlay in OVERLAYS:
        proc = run([kubectl, "kustomize", K8S_DIR / "overlays" / overlay])
        assert proc.returncode == 0, f"kubectl kustomize overlays/{overlay} failed:\n{proc.stderr}"
        path = out / f"{overlay}.yaml"
        path.write_text(proc.stdout)
        result[overlay] = Rendered(overlay, path, proc.stdout, load_yaml_docs(proc.stdout))
    return result


@pytest.fixture(scope="session")
def job_template() -> dict:
    docs = load_yaml_docs(JOB_TEMPLATE.read_text())
    assert len(docs) == 1, f"{JOB_TEMPLATE} must hold exactly one Job"
    return docs[0]


def env_file(path: Path) -> dict:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def contract_env(section: str) -> set:
    """Environment variable names listed in one '## ' section of docs/contracts.md."""
    text = CONTRACTS.read_text()
    match = re.search(rf"^## {re.escape(section)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/contracts.md has no section '{section}'"
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", match.group(1)))


# --- checkov -------------------------------------------------------------------


def checkov_reports(checkov: Path, args) -> list:
    proc = run([checkov, *args, "--skip-download", "--output", "json"], env={**os.environ, "LOG_LEVEL": "ERROR"})
    try:
        reports = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON report (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return reports if isinstance(reports, list) else [reports]


@pytest.fixture(scope="session")
def checkov_terraform(checkov) -> list:
    return checkov_reports(checkov, ["--directory", TERRAFORM_DIR, "--framework", "terraform"])


@pytest.fixture(scope="session")
def checkov_manifests(checkov, rendered) -> list:
    files = [r.path for r in rendered.values()] + [JOB_TEMPLATE] + sorted(DOCKER_DIR.glob("*.Dockerfile"))
    args = []
    for f in files:
        args += ["--file", f]
    return checkov_reports(checkov, [*args, "--framework", "kubernetes", "dockerfile"])
