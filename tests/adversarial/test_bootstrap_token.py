"""The bootstrap token (STEWARD_BOOTSTRAP_TOKEN) across restarts (runbook/rotate-tokens.md):
a revoked bootstrap token stays revoked when stewardd restarts with the same value; a new value
rotates it (the new one works, the old one is refused) and the audit log records `token.rotate`.
Today a restart silently reinstates a revoked bootstrap token.
"""

from __future__ import annotations

import secrets

import pytest

from support import new_token


def status_with(server, token: str) -> int:
    return server.get("/api/v1/status", token=token).status


@pytest.mark.parametrize("revoker", ["itself", "another admin"])
def test_revoked_bootstrap_token_stays_revoked_after_restart(make_stewardd, revoker):
    server = make_stewardd()
    bootstrap = server.token
    admin = new_token(server, "admin", "admin-alice")
    r = server.delete("/api/v1/tokens/bootstrap", token=bootstrap if revoker == "itself" else admin)
    assert r.status in (200, 204), r
    listed = {t["name"]: t for t in server.get("/api/v1/tokens", token=admin).json()["items"]}
    assert listed["bootstrap"]["revoked"] is True

    server.restart()  # same STEWARD_BOOTSTRAP_TOKEN value
    assert status_with(server, bootstrap) == 401, "a restart with the same value reinstated the revoked bootstrap token"
    listed = {t["name"]: t for t in server.get("/api/v1/tokens", token=admin).json()["items"]}
    assert listed["bootstrap"]["revoked"] is True
    assert status_with(server, admin) == 200


def test_new_bootstrap_value_rotates_it_and_is_audited(make_stewardd):
    server = make_stewardd()
    old = server.token
    admin = new_token(server, "admin", "admin-bob")
    before = server.get("/api/v1/audit?limit=1000", token=admin).json()["items"]
    last_id = max(e["id"] for e in before)

    new = "stw_" + secrets.token_hex(24)
    server.restart(token=new)
    assert status_with(server, new) == 200, "the new bootstrap value does not work"
    assert status_with(server, old) == 401, "the old bootstrap value still works after rotation"

    after = server.get("/api/v1/audit?limit=1000", token=admin).json()["items"]
    rotations = [e for e in after if e["id"] > last_id and e["action"] == "token.rotate" and "bootstrap" in e["target"]]
    assert rotations, ("no token.rotate audit row for the bootstrap token after the restart; new rows: "
                       f"{[(e['action'], e['target'], e['actor']) for e in after if e['id'] > last_id]}")

    server.restart()  # the same (new) value again: nothing changes, nothing more audited
    assert status_with(server, new) == 200 and status_with(server, old) == 401
    again = server.get("/api/v1/audit?limit=1000", token=admin).json()["items"]
    assert not [e for e in again if e["id"] > max(x["id"] for x in after) and e["action"] == "token.rotate"]


def test_new_value_brings_a_revoked_bootstrap_back(make_stewardd):
    """runbook/rotate-tokens.md: a new value 'is how to rotate it, or to bring a bootstrap
    admin back after a revocation'."""
    server = make_stewardd()
    old = server.token
    assert server.delete("/api/v1/tokens/bootstrap").status in (200, 204)
    new = "stw_" + secrets.token_hex(24)
    server.restart(token=new)
    assert status_with(server, new) == 200
    assert status_with(server, old) == 401
