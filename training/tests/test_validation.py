"""Validation catches what a bad dataset looks like, and counts it."""

from __future__ import annotations

import csv
import json

from steward_training.validation import read_csv, validate_dataset, validate_rows


def clean_rows(n=1000):
    return [{"text": f"review number {i}", "label": "positive" if i % 5 < 3 else "negative"} for i in range(n)]


def test_clean_rows_pass():
    report = validate_rows(["text", "label"], clean_rows())
    assert report["ok"] and report["errors"] == []
    assert report["label_counts"] == {"negative": 400, "positive": 600}
    json.dumps(report)  # the report is stored as JSON


def test_injected_empty_text_is_caught():
    rows = clean_rows()
    rows[10]["text"] = ""
    rows[20]["text"] = "   \t "
    report = validate_rows(["text", "label"], rows)
    assert not report["ok"]
    assert report["empty_text"] == 2
    assert any("empty text" in e for e in report["errors"])


def test_injected_unknown_label_is_caught():
    rows = clean_rows()
    rows[3]["label"] = "neutral"
    rows[4]["label"] = "Positive"
    report = validate_rows(["text", "label"], rows)
    assert not report["ok"]
    assert report["unknown_labels"] == {"Positive": 1, "neutral": 1}
    assert any("unknown label" in e for e in report["errors"])


def test_duplicate_flood_is_caught_and_counted():
    rows = clean_rows() + [{"text": "buy now!!!", "label": "positive"}] * 200
    report = validate_rows(["text", "label"], rows)
    assert not report["ok"]
    assert report["duplicates"] == 199
    assert abs(report["duplicate_share"] - 199 / 1200) < 1e-12
    assert any("duplicate" in e for e in report["errors"])


def test_a_few_duplicates_are_counted_not_refused():
    rows = clean_rows() + [dict(clean_rows()[0]), {"text": "review number 1", "label": "negative"}]
    report = validate_rows(["text", "label"], rows)
    assert report["ok"]
    assert report["duplicates"] == 2 and report["conflicting_duplicates"] == 1


def test_missing_column_and_imbalance():
    missing = validate_rows(["text", "sentiment"], [{"text": "x", "sentiment": "positive"}])
    assert not missing["ok"] and missing["missing_columns"] == ["label"]
    skewed = [{"text": f"t{i}", "label": "positive" if i < 950 else "negative"} for i in range(1000)]
    report = validate_rows(["text", "label"], skewed)
    assert not report["ok"] and abs(report["min_label_share"] - 0.05) < 1e-12
    assert any("label balance" in e for e in report["errors"])


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label"])
        w.writerows([(r["text"], r["label"]) for r in rows])


def test_dataset_validation_catches_leakage_between_splits(tmp_path):
    rows = clean_rows(300)
    write(tmp_path / "train.csv", rows[:200])
    write(tmp_path / "validation.csv", rows[200:250])
    write(tmp_path / "test.csv", rows[250:] + rows[:3])
    report = validate_dataset(tmp_path)
    assert not report["ok"]
    assert report["cross_split_duplicates"]["train/test"] == 3
    assert report["splits"]["train"]["ok"]


def test_bundled_dataset_passes(dataset_dir):
    report = json.loads((dataset_dir / "validation.json").read_text())
    assert report == validate_dataset(dataset_dir)
    assert report["ok"], report["errors"]
    columns, rows = read_csv(dataset_dir / "train.csv")
    assert columns == ["text", "label"]
