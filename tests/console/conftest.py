"""The web console, driven through Debian's headless chromium (tests/console/browser.py).

Fixtures:
- `steward` (session): a stewardd on its own database (`database`), with the bootstrap admin token.
- `seed` (session): what the pages show, made through the APIs as clients make it: an
  experiment of runs with params, tags and metric histories (one run's name, one tag and one
  model's description full of markup and script), an artifact, a dataset, a model whose
  versions came from those runs with a Production version and aliases, a second model with a
  rollout in progress.
- `browser` (session): one headless chromium; `signed_in(token)` signs it in (a fresh session
  each time) and returns it.
Screenshots go to `$STEWARD_TEST_OUTPUT/console` (default `.steward/test-output/console`).
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from browser import chrome  # noqa: E402
from support import Stewardd, StewarddError, TestDatabase, new_token  # noqa: E402

# What a hostile author puts in the names and values the console shows.
MARKUP = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
DATASET_CSV = b"text,label\na quietly devastating film,positive\ndull and long,negative\n" \
              b"a fine cast,positive\nnothing works,negative\nsharp and warm,positive\n"


@pytest.fixture(scope="session")
def database():
    made = TestDatabase(prefix="steward_console_test")
    try:
        yield made
    finally:
        made.drop()


@pytest.fixture(scope="session")
def steward(database):
    server = Stewardd(database.url, Path(tempfile.mkdtemp(prefix="steward-console-")),
                      env={"STEWARD_ROLLOUT_INTERVAL_MS": "100"})
    try:
        server.start()
        yield server
    finally:
        if server.alive():
            server.stop()


def _ok(response, what: str) -> dict:
    if response.status not in (200, 201):
        raise StewarddError(f"seeding: {what} answered {response!r}")
    return response.json() if response.body else {}


@pytest.fixture(scope="session")
def seed(steward) -> dict:
    s = steward
    experiment = _ok(s.post("/api/2.0/mlflow/experiments/create", {"name": "console-sentiment"}),
                     "experiment")["experiment_id"]
    runs = []
    for i in range(12):
        name = MARKUP if i == 3 else f"run-{i:02d}"
        info = _ok(s.post("/api/2.0/mlflow/runs/create", {"experiment_id": experiment, "run_name": name,
                                                          "start_time": 1_760_000_000_000 + i * 1000}),
                   "run")["run"]["info"]
        steps = 300 if i == 0 else 20
        metrics = [{"key": "accuracy", "value": 0.5 + 0.4 * (s_ / steps) + i * 0.001, "timestamp": 1 + s_, "step": s_}
                   for s_ in range(steps)]
        metrics += [{"key": "loss", "value": 1.0 - 0.6 * (s_ / steps), "timestamp": 1 + s_, "step": s_}
                    for s_ in range(steps)]
        for chunk in range(0, len(metrics), 1000):
            _ok(s.post("/api/2.0/mlflow/runs/log-batch", {
                "run_id": info["run_id"], "metrics": metrics[chunk:chunk + 1000],
                "params": [{"key": "optimizer", "value": "adamw" if i % 2 == 0 else "sgd"},
                           {"key": "lr", "value": str(0.001 * (i + 1))}] if chunk == 0 else [],
                "tags": [{"key": "note", "value": MARKUP}] if chunk == 0 else []}), "log-batch")
        _ok(s.post("/api/2.0/mlflow/runs/update", {"run_id": info["run_id"], "status": "FINISHED",
                                                   "end_time": 1_760_000_060_000 + i * 1000}), "finish")
        runs.append({"id": info["run_id"], "name": name, "artifact_uri": info["artifact_uri"]})
    artifacts = runs[0]["artifact_uri"].split("mlflow-artifacts:", 1)[1].lstrip("/")
    _ok(s.put(f"/api/2.0/mlflow-artifacts/artifacts/{artifacts}/notes/readme.txt", b"the run's notes\n",
              content_type="application/octet-stream"), "artifact")
    _ok(s.put("/api/v1/datasets/console-reviews/1?format=csv", DATASET_CSV, content_type="text/csv"), "dataset")

    model = "sentiment"
    _ok(s.post("/api/2.0/mlflow/registered-models/create", {"name": model, "description": MARKUP}), "model")
    for run in runs[:2]:
        _ok(s.post("/api/2.0/mlflow/model-versions/create",
                   {"name": model, "source": run["artifact_uri"] + "/model", "run_id": run["id"]}), "version")
    _ok(s.post("/api/2.0/mlflow/model-versions/transition-stage",
               {"name": model, "version": "1", "stage": "Production"}), "stage")
    _ok(s.put(f"/api/v1/models/{model}/aliases/champion", {"version": 1}), "alias")

    live = f"live-{secrets.token_hex(3)}"
    _ok(s.post("/api/2.0/mlflow/registered-models/create", {"name": live}), "model")
    _ok(s.post("/api/2.0/mlflow/model-versions/create",
               {"name": live, "source": runs[2]["artifact_uri"] + "/model", "run_id": runs[2]["id"]}), "version")
    _ok(s.post("/api/v1/rollouts", {"model": live, "canary_version": 1,
                                    "steps": [{"weight": 10}, {"analysis_seconds": 3600}, {"weight": 100}]}),
        "rollout")
    return {"experiment": experiment, "runs": runs, "model": model, "live": live,
            "dataset": ("console-reviews", "1"), "viewer": new_token(s, "viewer"),
            "operator": new_token(s, "operator")}


@pytest.fixture(scope="session")
def _driver():
    driver = chrome()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(_driver):
    _driver.delete_all_cookies()
    _driver.get_log("browser")  # what an earlier test left in the log is not this test's
    return _driver


@pytest.fixture
def signed_in(browser, steward):
    def sign_in(token: str, next_path: str = "/"):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        browser.get(f"{steward.url}/login?next={next_path}")
        browser.find_element(By.NAME, "token").send_keys(token)
        browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        WebDriverWait(browser, 15).until(lambda d: "/login" not in d.current_url)
        return browser
    return sign_in
