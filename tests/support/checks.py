"""Checks on Steward's answers shared by the Python suites.

Steward answers errors in two shapes: the native API's `{"error": {"code", "message"}}`
(docs/registry.md) and MLflow's `{"error_code", "message"}` (docs/mlflow-protocol.md).
"""

from __future__ import annotations

from .steward import Response

# An error body describes the input; it never carries it back whole.
MAX_ERROR_BODY_BYTES = 16 * 1024


def error_of(response: Response) -> tuple[str, str] | None:
    """(code, message) of an error body in either shape, or None when it is neither."""
    body = response.json_or_none()
    if not isinstance(body, dict):
        return None
    inner = body.get("error")
    if isinstance(inner, dict) and isinstance(inner.get("code"), str) and isinstance(inner.get("message"), str):
        return inner["code"], inner["message"]
    if isinstance(body.get("error_code"), str) and isinstance(body.get("message"), str):
        return body["error_code"], body["message"]
    return None


def refusal_problem(response: Response, statuses: tuple[int, ...] = (400,), *,
                    shape: str | None = None, max_body: int = MAX_ERROR_BODY_BYTES) -> str | None:
    """Why `response` is not a proper refusal (status in `statuses`, a JSON error of the given
    shape — "native", "mlflow" or either — with a non-empty message, a bounded body), or None."""
    if response.status not in statuses:
        return f"status {response.status} (expected {'/'.join(map(str, statuses))}): {response.text[:300]!r}"
    if len(response.body) > max_body:
        return f"error body of {len(response.body)} bytes (bound {max_body})"
    error = error_of(response)
    if error is None:
        return f"status {response.status} without a JSON error body: {response.text[:300]!r}"
    body = response.json()
    if shape == "native" and not isinstance(body.get("error"), dict):
        return f"expected the native error shape, got {response.text[:300]!r}"
    if shape == "mlflow" and "error_code" not in body:
        return f"expected MLflow's error shape, got {response.text[:300]!r}"
    if not error[1].strip():
        return "empty error message"
    return None


def assert_refused(response: Response, statuses: tuple[int, ...] = (400,), *, shape: str | None = None,
                   max_body: int = MAX_ERROR_BODY_BYTES, what: str = "") -> tuple[str, str]:
    problem = refusal_problem(response, statuses, shape=shape, max_body=max_body)
    assert problem is None, f"{what}: {problem}" if what else problem
    return error_of(response)  # type: ignore[return-value]
