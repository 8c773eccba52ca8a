"""Metrics computed here agree with scikit-learn (present in the venv as an mlflow dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from steward_training.evaluate import average_ranks, classification_metrics, roc_auc

metrics = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    scores = np.clip(0.3 * y + rng.random(500) * 0.7, 0, 1)
    scores[:50] = np.round(scores[:50], 1)  # ties
    got = classification_metrics(y, scores)
    pred = (scores > 0.5).astype(int)
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, pred), abs=1e-12)
    assert got["precision"] == pytest.approx(metrics.precision_score(y, pred), abs=1e-12)
    assert got["recall"] == pytest.approx(metrics.recall_score(y, pred), abs=1e-12)
    assert got["f1"] == pytest.approx(metrics.f1_score(y, pred), abs=1e-12)
    assert got["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, scores), abs=1e-12)
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred).ravel()
    assert (got["confusion_tn"], got["confusion_fp"], got["confusion_fn"], got["confusion_tp"]) == (tn, fp, fn, tp)


def test_ranks_and_degenerate_cases():
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert roc_auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.2, 0.1])) == 1.0
    assert roc_auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert np.isnan(roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))
    none_positive = classification_metrics([0, 0, 1], [0.1, 0.2, 0.3])
    assert none_positive["precision"] == 0.0 and none_positive["f1"] == 0.0
