"""PSI from stewardd (computed in Postgres) against independent computations:
numpy for Steward's reference-quantile method, the `evidently` package itself
for its own method. Synthetic samples with a known shift and empty bins."""

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import psycopg2
import pytest

# The one Python definition of Steward's text features (the trainer's reference profile uses it).
from steward_training.features import char_length, non_letter_share, word_count


def features(text: str) -> dict:
    """The features a prediction log row holds, but oov_share (it needs a tokenizer; these rows log 0)."""
    return {"char_length": char_length(text), "word_count": word_count(text),
            "non_letter_share": non_letter_share(text)}


def make_text(rng, mean_words: float) -> str:
    n = max(1, int(rng.normal(mean_words, mean_words / 3)))
    return " ".join("w" * int(rng.integers(1, 9)) for _ in range(n))


def call(steward, path: str) -> dict:
    request = urllib.request.Request(steward.url + path, headers={"Authorization": f"Bearer {steward.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def numpy_quantile_psi(reference: np.ndarray, current: np.ndarray) -> float:
    edges = []
    for q in np.quantile(reference, [i / 10 for i in range(1, 10)]):
        if not edges or q > edges[-1]:
            edges.append(float(q))
    ref = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1) / len(reference)
    cur = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1) / len(current)
    ref, cur = np.maximum(ref, 1e-4), np.maximum(cur, 1e-4)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


@pytest.fixture(scope="module")
def drift_data(steward, test_database):
    if steward.is_mlflow:
        pytest.skip("drift is Steward's own API")
    steward_only = steward
    rng = np.random.default_rng(7)
    reference = [make_text(rng, 12) for _ in range(3000)]
    csv = "text,label\n" + "\n".join(f"{t},{'positive' if i % 2 else 'negative'}" for i, t in enumerate(reference)) + "\n"
    request = urllib.request.Request(steward_only.url + "/api/v1/datasets/drift/1?format=csv", data=csv.encode(), method="PUT",
                                     headers={"Authorization": f"Bearer {steward_only.token}", "Content-Type": "text/csv"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
    # Current traffic: longer texts (a known shift), so several reference bins stay empty.
    current = [make_text(rng, 40) for _ in range(4000)] + reference[:200]
    at = datetime.now(timezone.utc) - timedelta(minutes=10)
    with psycopg2.connect(test_database) as conn, conn.cursor() as cur:
        rows = []
        for i, text in enumerate(current):
            f = features(text)
            rows.append((at + timedelta(milliseconds=i), "m", "1", "stable", 5.0, "positive", 0.9,
                         f["char_length"], f["word_count"], 0.0, f["non_letter_share"], f"r{i}"))
        cur.executemany("""INSERT INTO steward.prediction_log (at, model_name, model_version, track, latency_ms, label, confidence,
                           char_length, word_count, oov_share, non_letter_share, request_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)""", rows)
    window = f"&from={(at - timedelta(minutes=1)).isoformat().replace('+00:00', 'Z')}&to={(at + timedelta(minutes=5)).isoformat().replace('+00:00', 'Z')}"
    return reference, current, window


@pytest.mark.parametrize("feature", ["char_length", "word_count", "non_letter_share"])
def test_quantile_psi_equals_numpy(steward_only, drift_data, feature):
    reference, current, window = drift_data
    ref = np.array([features(t)[feature] for t in reference], dtype=float)
    cur = np.array([features(t)[feature] for t in current], dtype=float)
    got = call(steward_only, f"/api/v1/drift?model=m&dataset=drift@1&feature={feature}&method=quantile{window}")
    assert got["current_rows"] == len(current)
    assert abs(got["psi"] - numpy_quantile_psi(ref, cur)) < 1e-6
    assert got["psi"] > 0.2   # the shift is real


@pytest.mark.parametrize("feature", ["char_length", "word_count", "non_letter_share"])
def test_evidently_psi_equals_the_evidently_package(steward_only, drift_data, feature):
    from evidently.legacy.calculations.stattests.psi import _psi
    from evidently.legacy.core import ColumnType

    reference, current, window = drift_data
    ref = pd.Series([features(t)[feature] for t in reference], dtype=float)
    cur = pd.Series([features(t)[feature] for t in current], dtype=float)
    want, _ = _psi(ref, cur, ColumnType.Numerical, 0.1)
    got = call(steward_only, f"/api/v1/drift?model=m&dataset=drift@1&feature={feature}&method=evidently{window}")
    assert abs(got["psi"] - float(want)) < 1e-6, (got, float(want))


def test_an_in_distribution_window_has_a_small_psi(steward_only, drift_data, test_database):
    reference, current, _ = drift_data
    with psycopg2.connect(test_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT min(at), max(at) FROM steward.prediction_log WHERE request_id IN ('r4000', 'r4199')")
        start, end = cur.fetchone()
    window = f"&from={start.isoformat().replace('+00:00', 'Z')}&to={(end + timedelta(milliseconds=1)).isoformat().replace('+00:00', 'Z')}"
    got = call(steward_only, f"/api/v1/drift?model=m&dataset=drift@1&feature=char_length&method=quantile{window}")
    ref = np.array([features(t)["char_length"] for t in reference], dtype=float)
    tail = np.array([features(t)["char_length"] for t in current[4000:]], dtype=float)
    assert got["current_rows"] == 200
    assert abs(got["psi"] - numpy_quantile_psi(ref, tail)) < 1e-6
    assert got["psi"] < 0.1


def test_an_unknown_feature_is_a_400_whichever_method(steward_only, drift_data):
    for method in ("quantile", "evidently"):
        try:
            call(steward_only, f"/api/v1/drift?model=m&dataset=drift@1&feature=shoe_size&method={method}")
        except urllib.error.HTTPError as error:
            body = json.load(error)
            assert error.code == 400 and body["error"]["code"] == "invalid_argument", (method, body)
            assert "shoe_size" in body["error"]["message"] and "char_length" in body["error"]["message"]
        else:
            raise AssertionError(f"{method}: an unknown feature was answered 200")
