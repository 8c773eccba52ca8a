"""Rollout commands an operator can break: a malformed body, a command whose version was deleted
after it was accepted, a rollback to a version that is gone.

Expected: a malformed body is a 400 that records nothing; a command the leader cannot apply for
good is closed as refused (409 with the reason) instead of staying pending, and never holds up
the commands after it, on the same model or another; the status names its null fields.
"""

from __future__ import annotations

import secrets

from support.checks import assert_refused


def _model_with_versions(steward, seed, versions: int) -> str:
    name = f"adv-rollout-{secrets.token_hex(3)}"
    assert steward.post("/api/2.0/mlflow/registered-models/create", {"name": name}).status == 200
    for _ in range(versions):
        created = steward.post("/api/2.0/mlflow/model-versions/create",
                               {"name": name, "source": seed["artifact_uri"] + "/model", "run_id": seed["run_id"]})
        assert created.status == 200, created
    return name


def _open_rollout(steward, name: str, canary: int) -> dict:
    opened = steward.post("/api/v1/rollouts", {"model": name, "canary_version": canary})
    assert opened.status == 201, opened
    return opened.json()


def _pending_commands(shared_database, name: str) -> int:
    return shared_database.query(
        "SELECT count(*) FROM steward.rollout_commands c JOIN steward.registered_models m ON m.id = c.model_id "
        "WHERE m.name = %s AND c.applied_at IS NULL", (name,))[0][0]


def _commands(shared_database, name: str) -> int:
    return shared_database.query(
        "SELECT count(*) FROM steward.rollout_commands c JOIN steward.registered_models m ON m.id = c.model_id "
        "WHERE m.name = %s", (name,))[0][0]


def test_a_command_with_a_malformed_body_is_refused_and_records_nothing(steward, seed, shared_database):
    name = _model_with_versions(steward, seed, 1)
    _open_rollout(steward, name, 1)
    before = _commands(shared_database, name)
    for body in (b"{", b"[1]", b'{"reason": 5}', b'"pause"'):
        response = steward.request("POST", f"/api/v1/rollouts/{name}/pause", body, content_type="application/json")
        assert_refused(response, (400,), shape="native", what=f"pause with body {body!r}")
    assert _commands(shared_database, name) == before
    status = steward.get(f"/api/v1/rollouts/{name}").json()
    assert status["phase"] == "Progressing", status


def test_status_names_its_null_fields(steward, seed):
    name = _model_with_versions(steward, seed, 1)
    _open_rollout(steward, name, 1)
    status = steward.get(f"/api/v1/rollouts/{name}").json()
    # No Production version before this rollout, and a canary that no steward-serve ever loaded.
    assert "stable_version" in status and status["stable_version"] is None, status
    assert "canary_ready_at" in status and status["canary_ready_at"] is None, status


def test_a_retry_whose_canary_was_deleted_is_refused_and_blocks_nothing(steward, seed, shared_database):
    name = _model_with_versions(steward, seed, 2)
    other = _model_with_versions(steward, seed, 1)
    _open_rollout(steward, name, 2)
    _open_rollout(steward, other, 1)
    aborted = steward.post(f"/api/v1/rollouts/{name}/abort", {"reason": "bad canary"})
    assert aborted.status == 200 and aborted.json()["phase"] == "Aborted", aborted
    deleted = steward.request("DELETE", "/api/2.0/mlflow/model-versions/delete", {"name": name, "version": "2"})
    assert deleted.status == 200, deleted

    retried = steward.post(f"/api/v1/rollouts/{name}/retry", {})
    code, message = assert_refused(retried, (404, 409), shape="native", what="retry of a deleted canary")
    assert "2" in message, message
    assert _pending_commands(shared_database, name) == 0

    # The next commands, on this model and on another, are applied, not queued behind it.
    rollback = steward.post(f"/api/v1/models/{name}/rollback", {"to": 1})
    assert rollback.status == 200, rollback
    assert rollback.json()["champion"] == 1
    paused = steward.post(f"/api/v1/rollouts/{other}/pause", {"reason": "look first"})
    assert paused.status == 200 and paused.json()["phase"] == "Paused", paused


def test_a_rollback_to_a_version_deleted_before_it_applied_is_refused(steward, seed, shared_database):
    name = _model_with_versions(steward, seed, 3)
    assert steward.put(f"/api/v1/models/{name}/aliases/champion", {"version": 3}).status == 200
    deleted = steward.request("DELETE", "/api/2.0/mlflow/model-versions/delete", {"name": name, "version": "1"})
    assert deleted.status == 200, deleted
    response = steward.post(f"/api/v1/models/{name}/rollback", {"to": 1})
    assert_refused(response, (404, 409), shape="native", what="rollback to a deleted version")
    assert _pending_commands(shared_database, name) == 0
    assert steward.post(f"/api/v1/models/{name}/rollback", {"to": 2}).status == 200
