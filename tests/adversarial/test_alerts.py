"""Acknowledging alerts and silencing alert rules: the operator's side of an alert's life cycle.

Expected: an acknowledgement names who and when and is audited; acknowledging twice, acknowledging a
resolved alert, an unknown id or a malformed one is refused (409, 404, 400) and writes nothing, not
even an audit row; a silence sets the rule's silenced_until (0 lifts it), refused for an unknown rule
or a duration out of range; a viewer may do neither.
"""

from __future__ import annotations

import secrets

import pytest

from support.checks import assert_refused


def _audit_rows(shared_database) -> int:
    return shared_database.query("SELECT count(*) FROM steward.audit_log")[0][0]


@pytest.fixture
def firing_alert(steward, seed, shared_database) -> tuple[str, int]:
    """A rule on the seeded model, and an alert of it that fires. (The monitor opens alerts from drift
    windows; the acknowledgement under test only needs the alert row.)"""
    rule = f"adv-drift-{secrets.token_hex(3)}"
    put = steward.put(f"/api/v1/alert-rules/{rule}",
                      {"metric": "input_psi", "model": seed["model"], "threshold": 0.25, "resolve_after_seconds": 600})
    assert put.status == 200, put
    alert_id = shared_database.query(
        "INSERT INTO steward.alerts (rule_id, started_at, value) "
        "SELECT id, now(), 0.9 FROM steward.alert_rules WHERE name = %s RETURNING id", (rule,))[0][0]
    return rule, alert_id


def test_an_alert_is_acknowledged_once_with_who_and_when(steward, operator, firing_alert, shared_database):
    rule, alert_id = firing_alert
    acked = steward.post(f"/api/v1/alerts/{alert_id}/acknowledge", {}, token=operator)
    assert acked.status == 200, acked
    listed = {a["id"]: a for a in steward.get("/api/v1/alerts").json()["items"]}
    assert listed[alert_id]["acknowledged_by"] == "adversarial-operator"
    assert listed[alert_id]["acknowledged_at"] is not None and listed[alert_id]["ended_at"] is None
    audited = shared_database.query(
        "SELECT actor FROM steward.audit_log WHERE action = 'alert.acknowledge' AND target = %s", (f"alert:{alert_id}",))
    assert audited == [("adversarial-operator",)]

    before = _audit_rows(shared_database)
    again = steward.post(f"/api/v1/alerts/{alert_id}/acknowledge", {})
    code, message = assert_refused(again, (409,), shape="native")
    assert "adversarial-operator" in message
    assert _audit_rows(shared_database) == before


@pytest.mark.parametrize("path, status", [
    ("/api/v1/alerts/999999999/acknowledge", 404),
    ("/api/v1/alerts/0/acknowledge", 400),
    ("/api/v1/alerts/-3/acknowledge", 400),
    ("/api/v1/alerts/1e3/acknowledge", 400),
    ("/api/v1/alerts/99999999999999999999/acknowledge", 400),
])
def test_a_bad_or_unknown_alert_id_is_refused_and_writes_nothing(steward, shared_database, path, status):
    before = _audit_rows(shared_database)
    assert_refused(steward.post(path, {}), (status,), shape="native", what=path)
    assert _audit_rows(shared_database) == before


def test_a_resolved_alert_cannot_be_acknowledged(steward, firing_alert, shared_database):
    _, alert_id = firing_alert
    shared_database.query("UPDATE steward.alerts SET ended_at = now(), resolved_value = 0.1 WHERE id = %s RETURNING id",
                          (alert_id,))
    before = _audit_rows(shared_database)
    assert_refused(steward.post(f"/api/v1/alerts/{alert_id}/acknowledge", {}), (409,), shape="native")
    assert _audit_rows(shared_database) == before


def test_a_silence_is_set_lifted_and_refused_when_out_of_range(steward, viewer, firing_alert, shared_database):
    rule, alert_id = firing_alert
    silenced = steward.post(f"/api/v1/alert-rules/{rule}/silence", {"seconds": 3600})
    assert silenced.status == 200 and silenced.json()["silenced_until"], silenced
    listed = {a["id"]: a for a in steward.get("/api/v1/alerts").json()["items"]}
    assert listed[alert_id]["silenced_until"] == silenced.json()["silenced_until"]

    before = _audit_rows(shared_database)
    for body in ({"seconds": -1}, {"seconds": 2592001}, {"seconds": 1e30}, {"seconds": "1h"}, {}):
        assert_refused(steward.post(f"/api/v1/alert-rules/{rule}/silence", body), (400,), shape="native", what=str(body))
    assert_refused(steward.post("/api/v1/alert-rules/no-such-rule/silence", {"seconds": 60}), (404,), shape="native")
    assert_refused(steward.post(f"/api/v1/alert-rules/{rule}/silence", {"seconds": 60}, token=viewer), (403,))
    assert_refused(steward.post(f"/api/v1/alerts/{alert_id}/acknowledge", {}, token=viewer), (403,))
    assert _audit_rows(shared_database) == before

    lifted = steward.post(f"/api/v1/alert-rules/{rule}/silence", {"seconds": 0})
    assert lifted.status == 200 and lifted.json()["silenced_until"] is None, lifted
