"""Prometheus alerting rules (infra/prometheus): promtool accepts them, the unit
tests in alerts_test.yaml pass and cover every active rule firing and not
firing, every rule points at a runbook section that exists, and the active
rules use only metrics Steward exports today (the pending file's rules each
need one it does not export yet)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "infra" / "prometheus"
ACTIVE = PROM / "alerts.yaml"
PENDING = PROM / "alerts-pending.yaml"
UNIT_TESTS = PROM / "alerts_test.yaml"
RUNBOOK = ROOT / "runbook"
SEVERITIES = {"page", "ticket"}


@pytest.fixture(scope="module")
def promtool() -> Path:
    path = Path(os.environ.get("STEWARD_PROMTOOL", "/usr/bin/promtool"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"promtool not found at {path} (set STEWARD_PROMTOOL): scripts/setup.sh installs Debian's "
                    "`prometheus` package, which ships it", pytrace=False)
    return path


def rules(path: Path) -> list[dict]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def exported_metrics() -> set[str]:
    names = set()
    for swift in (ROOT / "Sources").rglob("*.swift"):
        names.update(re.findall(r'"(steward_[a-z0-9_]+)"', swift.read_text(errors="replace")))
    return names


def metrics_in(expr: str) -> set[str]:
    """Metric names in an expression; a histogram's `_bucket` series counts as the histogram."""
    return {re.sub(r"_bucket$", "", name) for name in re.findall(r"\b(steward_[a-z0-9_]+)", expr)}


def slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces -> '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#+\s+(.+)$", path.read_text(), re.M)}


def test_promtool_check_rules(promtool):
    proc = subprocess.run([promtool, "check", "rules", ACTIVE, PENDING], capture_output=True, text=True)
    assert proc.returncode == 0, f"promtool check rules failed:\n{proc.stdout}\n{proc.stderr}"


def test_promtool_unit_tests(promtool):
    proc = subprocess.run([promtool, "test", "rules", UNIT_TESTS.name], cwd=PROM, capture_output=True, text=True)
    assert proc.returncode == 0, f"promtool test rules failed:\n{proc.stdout}\n{proc.stderr}"


def test_unit_tests_load_only_the_active_rules():
    assert yaml.safe_load(UNIT_TESTS.read_text())["rule_files"] == [ACTIVE.name]


def test_every_active_rule_is_tested_firing_and_not_firing():
    cases = [case for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"] for case in test.get("alert_rule_test", [])]
    for rule in rules(ACTIVE):
        name = rule["alert"]
        mine = [c for c in cases if c["alertname"] == name]
        assert any(c.get("exp_alerts") for c in mine), f"{name}: no unit test where it fires"
        assert any(not c.get("exp_alerts") for c in mine), f"{name}: no unit test where it stays quiet"


@pytest.mark.parametrize("path", [ACTIVE, PENDING], ids=lambda p: p.name)
def test_rules_have_severity_and_a_runbook_section(path):
    runbook_anchors = {}
    for rule in rules(path):
        name = rule["alert"]
        assert rule["labels"].get("severity") in SEVERITIES, f"{name}: severity must be one of {SEVERITIES}"
        assert rule["annotations"].get("summary"), f"{name}: no summary"
        url = rule["annotations"].get("runbook_url", "")
        match = re.fullmatch(r"runbook/([\w\-]+\.md)#([\w\-]+)", url)
        assert match, f"{name}: runbook_url {url!r} must be runbook/<file>.md#<section>"
        file = RUNBOOK / match.group(1)
        assert file.is_file(), f"{name}: {file} does not exist"
        runbook_anchors.setdefault(file, anchors(file))
        assert match.group(2) in runbook_anchors[file], f"{name}: {file.name} has no section #{match.group(2)}"
        if path == ACTIVE and rule["labels"]["severity"] == "page":
            assert rule.get("for"), f"{name}: a paging rule needs a `for`"


def test_active_rules_use_only_exported_metrics():
    exported = exported_metrics()
    assert "steward_http_requests_total" in exported, "could not read the metric names from Sources/"
    for rule in rules(ACTIVE):
        missing = metrics_in(rule["expr"]) - exported
        assert not missing, f"{rule['alert']} uses {missing}, which Steward does not export"


def test_pending_rules_still_need_a_missing_metric():
    exported = exported_metrics()
    for rule in rules(PENDING):
        needed = metrics_in(rule["expr"])
        assert needed - exported, (f"{rule['alert']}: every metric it needs ({needed}) is exported now: move it into "
                                   "alerts.yaml with unit tests")
        for metric in needed - exported:
            assert metric in PENDING.read_text().split("groups:")[0], f"{metric} is not listed in the pending file's header"
