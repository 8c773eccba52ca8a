"""The console's sessions, forms and headers over plain HTTP, as an attacker sees them: the
cookie's flags, CSRF and origin checks, revocation, open redirects, roles, what a refused
form leaves behind (nothing), and the headers that keep script to the console's own file."""

from __future__ import annotations

import urllib.parse

from support import http, new_token

CSP_REQUIRED = ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'")


def _sign_in(steward, token: str, headers: dict | None = None):
    body = urllib.parse.urlencode({"token": token, "next": "/experiments"})
    return http("POST", steward.url + "/login", body, headers=headers,
                content_type="application/x-www-form-urlencoded")


def _session(steward, token: str) -> str:
    response = _sign_in(steward, token)
    assert response.status == 303, response
    return response.header("set-cookie").split(";")[0]


def _get(steward, path: str, cookie: str | None):
    return http("GET", steward.url + path, headers={"Cookie": cookie} if cookie else None)


def _csrf(page_html: str) -> str:
    marker = 'name="csrf" value="'
    start = page_html.index(marker) + len(marker)
    return page_html[start:page_html.index('"', start)]


def _post(steward, path: str, cookie: str, fields: dict, headers: dict | None = None):
    return http("POST", steward.url + path, urllib.parse.urlencode(fields),
                headers={"Cookie": cookie, **(headers or {})}, content_type="application/x-www-form-urlencoded")


def test_the_session_cookie_is_httponly_strict_and_secure_behind_tls(steward):
    plain = _sign_in(steward, steward.token)
    assert plain.status == 303 and plain.header("location") == "/experiments", plain
    flags = [part.strip() for part in plain.header("set-cookie").split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Secure" not in flags, flags
    assert steward.token not in plain.header("set-cookie") and steward.token not in plain.header("location")
    behind_tls = _sign_in(steward, steward.token, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in [part.strip() for part in behind_tls.header("set-cookie").split(";")]


def test_signed_out_pages_send_the_browser_to_sign_in_and_back(steward, seed):
    response = _get(steward, f"/experiments/{seed['experiment']}?filter=x", None)
    assert response.status == 303, response
    location = response.header("location")
    assert location.startswith("/login?next="), location
    assert urllib.parse.unquote(location.split("next=", 1)[1]) == f"/experiments/{seed['experiment']}?filter=x"


def test_a_wrong_token_is_refused_and_opens_nothing(steward):
    response = _sign_in(steward, "stw_not_a_token")
    assert response.status == 401 and response.header("set-cookie") is None, response
    assert "not valid" in response.text


def test_sign_in_never_sends_the_browser_to_another_site(steward):
    for hostile in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        body = urllib.parse.urlencode({"token": steward.token, "next": hostile})
        response = http("POST", steward.url + "/login", body, content_type="application/x-www-form-urlencoded")
        assert response.status == 303 and response.header("location") == "/", (hostile, response)


def test_a_form_without_its_csrf_token_or_from_another_site_changes_nothing(steward, seed):
    operator = new_token(steward, "operator")
    cookie = _session(steward, operator)
    live = f"csrf-{seed['live']}"
    assert steward.post("/api/2.0/mlflow/registered-models/create", {"name": live}).status == 200
    assert steward.post("/api/2.0/mlflow/model-versions/create",
                        {"name": live, "source": seed["runs"][0]["artifact_uri"] + "/model",
                         "run_id": seed["runs"][0]["id"]}).status == 200
    assert steward.post("/api/v1/rollouts", {"model": live, "canary_version": 1}).status == 201
    page = _get(steward, f"/models/{live}/rollout", cookie)
    assert page.status == 200, page
    csrf = _csrf(page.text)
    audit_before = steward.get("/api/v1/audit?limit=1000").json()
    for fields, headers in [
        ({"reason": "x"}, None),                                    # no token
        ({"reason": "x", "csrf": "0" * len(csrf)}, None),           # a wrong one
        ({"reason": "x", "csrf": csrf}, {"Origin": "http://evil.example", "Host": "127.0.0.1"}),
    ]:
        response = _post(steward, f"/models/{live}/rollout/abort", cookie, fields, headers)
        assert response.status == 403, (fields, headers, response)
    assert steward.get(f"/api/v1/rollouts/{live}").json()["phase"] == "Progressing"
    assert steward.get("/api/v1/audit?limit=1000").json() == audit_before
    # The same form with its token goes through.
    done = _post(steward, f"/models/{live}/rollout/abort", cookie, {"reason": "bad canary", "csrf": csrf})
    assert done.status == 303 and "applied" in urllib.parse.unquote(done.header("location")), done
    assert steward.get(f"/api/v1/rollouts/{live}").json()["phase"] == "Aborted"


def test_a_command_needs_a_reason_and_an_operator(steward, seed):
    viewer_cookie = _session(steward, seed["viewer"])
    page = _get(steward, f"/models/{seed['model']}", viewer_cookie)
    csrf = _csrf(page.text)  # the sign-out form carries it
    refused = _post(steward, f"/models/{seed['model']}/rollback", viewer_cookie, {"reason": "x", "csrf": csrf})
    assert refused.status == 403 and "operator" in refused.text, refused
    assert _get(steward, "/audit", viewer_cookie).status == 403

    operator_cookie = _session(steward, seed["operator"])
    csrf = _csrf(_get(steward, f"/models/{seed['model']}", operator_cookie).text)
    no_reason = _post(steward, f"/models/{seed['model']}/rollback", operator_cookie, {"reason": " ", "csrf": csrf})
    assert no_reason.status == 400 and "reason is required" in no_reason.text, no_reason


def test_revoking_the_token_or_signing_out_ends_the_session(steward):
    name = "console-revoked"
    token = new_token(steward, "viewer", name=name)
    cookie = _session(steward, token)
    assert _get(steward, "/experiments", cookie).status == 200
    assert steward.delete(f"/api/v1/tokens/{name}").status in (200, 204)
    assert _get(steward, "/experiments", cookie).status == 303

    other = _session(steward, steward.token)
    page = _get(steward, "/experiments", other)
    out = _post(steward, "/logout", other, {"csrf": _csrf(page.text)})
    assert out.status == 303 and "Max-Age=0" in out.header("set-cookie"), out
    assert _get(steward, "/experiments", other).status == 303


def test_an_expired_session_signs_the_browser_out(steward, database):
    cookie = _session(steward, steward.token)
    assert _get(steward, "/experiments", cookie).status == 200
    # The clock moved past the session's end (STEWARD_CONSOLE_SESSION_SECONDS, at least 60 s).
    database.query("UPDATE steward.console_sessions SET expires_at = now() - interval '1 second'")
    assert _get(steward, "/experiments", cookie).status == 303


def test_pages_carry_a_policy_that_runs_only_the_consoles_own_script(steward, seed):
    cookie = _session(steward, steward.token)
    for path in ("/", f"/runs/{seed['runs'][0]['id']}", "/login"):
        response = _get(steward, path, cookie)
        assert response.status == 200, (path, response)
        policy = response.header("content-security-policy") or ""
        assert all(part in policy for part in CSP_REQUIRED) and "unsafe-inline" not in policy, (path, policy)
        assert response.header("x-content-type-options") == "nosniff"
        # The seeded markup is there only as text: no tag of it reached the page.
        assert "<script>window" not in response.text and "<img" not in response.text, path
    script = _get(steward, "/console/console.js", None)
    assert script.status == 200 and script.header("content-type").startswith("text/javascript")


def test_artifacts_download_as_attachments_and_never_leave_the_run(steward, seed):
    cookie = _session(steward, steward.token)
    run = seed["runs"][0]["id"]
    file = _get(steward, f"/runs/{run}/artifacts/notes/readme.txt", cookie)
    assert file.status == 200 and file.body == b"the run's notes\n", file
    assert file.header("content-disposition").startswith("attachment")
    for hostile in ("..%2F..%2Fetc%2Fpasswd", "notes/../../x", "missing.txt"):
        response = _get(steward, f"/runs/{run}/artifacts/{hostile}", cookie)
        assert response.status in (400, 404), (hostile, response)


def test_odd_paths_and_numbers_get_a_clear_4xx_page_and_the_daemon_lives(steward, seed):
    cookie = _session(steward, steward.token)
    run = seed["runs"][0]["id"]
    for path in ("/experiments/99999999999999999999", "/experiments/-1", "/experiments/x%00y",
                 "/models/" + "a" * 5000, "/models/sentiment/versions/0", "/models/sentiment/versions/1e3",
                 "/models/nope/rollout", "/runs/nope", "/datasets/nope/1", "/audit?offset=-1",
                 "/audit?offset=99999999999999999999", "/compare?runs=" + run,
                 "/compare?" + "&".join(f"runs={i}" for i in range(6))):
        response = _get(steward, path, cookie)
        assert 400 <= response.status < 500, (path, response)
        assert response.header("content-type").startswith("text/html"), (path, response)
    # A search the runs page cannot make is said beside the filter box, the page still whole.
    for query in ("page=%25%25%25", "order=drop", "filter=" + urllib.parse.quote("params.x = ")):
        response = _get(steward, f"/experiments/{seed['experiment']}?{query}", cookie)
        assert response.status == 200 and 'class="flash error"' in response.text, (query, response)
    assert _get(steward, "/experiments", cookie).status == 200
    steward.assert_alive()
